# Shared by the benchmark scripts (sourced, never run): the release binary and the head of
# the generated program files.

# Builds the release binary and sets `ecoute` to its absolute path.
release_ecoute() {
  cargo build --release --quiet --bin ecoute >&2
  ecoute="$(realpath "${CARGO_TARGET_DIR:-target}/release/ecoute")"
}

# Prints the `program:` block of a generated program (id `bench`, French, Paris time).
program_head() {
  cat <<'YAML'
program:
  id: bench
  title: { fr: Banc d'essai }
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: { from: "Bench <bench@example.fr>" }
YAML
}
