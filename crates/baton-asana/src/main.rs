//! `baton-asana`: syncs an Asana domain into a baton `.c1z` file.

use clap::Parser;

/// Identity-governance connector for Asana.
#[derive(Debug, Parser)]
#[command(name = "baton-asana", version, about)]
struct Cli {
    /// The path to the c1z file to sync with.
    #[arg(
        short = 'f',
        long = "file",
        env = "BATON_FILE",
        default_value = "sync.c1z"
    )]
    file: std::path::PathBuf,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    anyhow::bail!(
        "syncing is not built yet; nothing was written to {}",
        cli.file.display()
    )
}
