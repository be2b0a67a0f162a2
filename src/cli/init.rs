//! `ecoute init`: a working starting point for a team that has nothing yet.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::Exit;

/// Arguments of `ecoute init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to create the program in
    #[arg(default_value = ".")]
    dir: PathBuf,
}

const EXAMPLE_PROGRAM: &str = include_str!("../../programs/fidelite-clients.yaml");
const EXAMPLE_CONTACTS: &str = include_str!("../../programs/contacts/clients.csv");
const EXAMPLE_CONFIG: &str = "\
# ecoute configuration. Every key is optional; flags and ECOUTE_* variables win.
#
# Where ecoute keeps contacts, invitations and answers. A SQLite file by default;
# several daemons can share one PostgreSQL: postgres://ecoute@db.internal/ecoute
database_url = \"sqlite://ecoute.db\"

# Where emails go: .eml files in a folder (to look at them before going live),
# or an SMTP server: smtp://smtp.example.org:587?tls=starttls (credentials in
# ECOUTE_SMTP_USERNAME and ECOUTE_SMTP_PASSWORD, never in this file).
mail = \"file://outbox\"

# The survey web form.
listen = \"127.0.0.1:8080\"
# public_url = \"https://avis.example.org\"

# Your own templates override the embedded ones, file by file.
templates = \"templates\"

# The admin API is off until a token is set (better: ECOUTE_ADMIN_TOKEN).
# admin_token = \"change-me\"
";
/// Keeps the store, the secret and the generated files out of git, where the programs go.
const GITIGNORE: &str = "\
# Written by `ecoute init`: programs and templates belong in git, these do not.
ecoute.db*
ecoute.secret
outbox/
reports/
";
const TEMPLATES_README: &str = "\
Put a file here to override an embedded template of the same path, for example
email/invitation.fr.html, email/invitation.fr.txt and email/invitation.fr.subject.txt.
`ecoute check` renders every email template with sample data and reports mistakes.
";

/// Writes the scaffold, skipping (and saying so) every file that already exists.
pub fn run(args: &InitArgs) -> anyhow::Result<Exit> {
    let dir = &args.dir;
    let schema = serde_json::to_string_pretty(&schemars::schema_for!(crate::program::ProgramFile))?;
    let files: [(&str, &str); 6] = [
        ("programs/fidelite-clients.yaml", EXAMPLE_PROGRAM),
        ("programs/contacts/clients.csv", EXAMPLE_CONTACTS),
        ("schema/program.schema.json", &schema),
        ("ecoute.toml", EXAMPLE_CONFIG),
        ("templates/README.txt", TEMPLATES_README),
        (".gitignore", GITIGNORE),
    ];
    for (relative, content) in files {
        write_new(&dir.join(relative), content)?;
    }
    let ecoute = super::shared::ecoute_command();
    say!("\nNext steps:\n  cd {}", dir.display());
    for (step, why) in [
        ("check", "validate the program"),
        ("contacts import programs/contacts/clients.csv", ""),
        (
            "plan fidelite-clients",
            "who would be asked, and why the others are not",
        ),
        (
            "send fidelite-clients",
            "emails go to outbox/ until `mail` names an SMTP server",
        ),
        ("serve", "the survey form the links open"),
        (
            "report fidelite-clients",
            "the results, once answers come in",
        ),
    ] {
        if why.is_empty() {
            say!("  {ecoute} {step}");
        } else {
            say!("  {ecoute} {step:<26} # {why}");
        }
    }
    Ok(Exit::Success)
}

fn write_new(path: &Path, content: &str) -> anyhow::Result<()> {
    if path.exists() {
        say!("exists   {} (left untouched)", path.display());
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create folder {}", parent.display()))?;
    }
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))?;
    say!("created  {}", path.display());
    Ok(())
}
