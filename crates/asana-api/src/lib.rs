//! A typed async client for the Asana REST API.
