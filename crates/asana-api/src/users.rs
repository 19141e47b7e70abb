//! Users: `/users/{user_gid}`, `/users?workspace=`.

use crate::client::AsanaClient;
use crate::error::Error;
use crate::limiter::Priority;
use crate::models::{fields, User};
use crate::pagination::ListRequest;

impl AsanaClient {
    /// `GET /users/me` (name, email): the token's own user. Also the cheapest token check.
    pub async fn me(&self) -> Result<User, Error> {
        self.user("me").await
    }

    /// `GET /users/{user}` (name, email); `user` is a gid, an e-mail address or `me`.
    pub async fn user(&self, user: &str) -> Result<User, Error> {
        self.get_with(
            "/users/{user_gid}",
            vec!["users".into(), user.into()],
            fields::USER,
            Priority::Normal,
        )
        .await
    }

    /// `GET /users?workspace={gid}`: user records of a workspace, sorted by gid.
    pub fn users_in_workspace(&self, workspace_gid: &str) -> ListRequest<User> {
        self.list_with("/users", vec!["users".into()], fields::USER)
            .query("workspace", workspace_gid)
    }
}
