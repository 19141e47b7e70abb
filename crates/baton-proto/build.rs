//! Compiles our `.proto` files with protox (pure Rust, no system `protoc`),
//! then generates prost types, pbjson (protojson) serde impls, and tonic
//! client/server code for ConductorOne's BatonService.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "c1/connector/v2/resource.proto",
    "c1/connector/v2/entitlement.proto",
    "c1/connector/v2/grant.proto",
    "c1/connector/v2/annotation_trait.proto",
    "c1/connector/v2/annotations.proto",
    "c1/connector/v2/connector.proto",
    "c1/config/v1/rules.proto",
    "c1/config/v1/config.proto",
    "c1/c1z/v1/sync_details.proto",
    "google/rpc/status.proto",
    "c1/connectorapi/baton/v1/baton.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_root = PathBuf::from("proto");
    println!("cargo:rerun-if-changed=proto");
    let files: Vec<PathBuf> = PROTOS.iter().map(|p| proto_root.join(p)).collect();
    let descriptors = protox::compile(&files, [&proto_root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("baton_descriptor.bin");
    std::fs::write(
        &descriptor_path,
        prost::Message::encode_to_vec(&descriptors),
    )?;

    let mut config = prost_build::Config::new();
    config
        .compile_well_known_types()
        // Struct, Value and ListValue are generated here (below) with sorted
        // maps, so profiles encode deterministically, as Go's
        // `MarshalOptions{Deterministic: true}`; the other well-known types
        // come from pbjson-types.
        .extern_path(".google.protobuf.Any", "::pbjson_types::Any")
        .extern_path(".google.protobuf.Timestamp", "::pbjson_types::Timestamp")
        .extern_path(".google.protobuf.Duration", "::pbjson_types::Duration")
        .extern_path(".google.protobuf.Empty", "::pbjson_types::Empty")
        .btree_map(["."])
        .enable_type_names()
        .type_name_domain(["."], "type.googleapis.com");
    // Services get a tonic client (always) and server (only with the
    // `grpc-server` feature, used by test doubles of ConductorOne). No
    // transport helpers: the caller builds and secures the channel.
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .build_transport(false)
        .server_mod_attribute(".", "#[cfg(feature = \"grpc-server\")]")
        .compile_fds_with_config(descriptors, config)?;

    let descriptor_bytes = std::fs::read(&descriptor_path)?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .btree_map(["."])
        .build(&[".c1", ".google.rpc"])?;
    Ok(())
}
