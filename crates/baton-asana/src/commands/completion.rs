//! `completion <shell>`: a shell completion script on stdout.

use clap::CommandFactory;

use crate::cli::Cli;

pub fn run(shell: clap_complete::Shell) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "baton-asana", &mut std::io::stdout());
}
