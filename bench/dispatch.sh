#!/usr/bin/env bash
# Dispatch benchmark (figures, not a test). In one run, against postfix's smtp-sink on
# loopback:
#   (a) postfix's smtp-source -s 10 sending N same-size messages: the machine's SMTP ceiling;
#   (b) a Python smtplib.sendmail loop over one connection on pre-built messages;
#   (c) ecoute send: N personalised ~5 KiB invitations (unsubscribe headers, every state
#       transition committed in the SQLite store);
# then a rate-limit fidelity run: ecoute at --max-rate 200 into a sink that timestamps
# every message; prints the busiest one-second window and the achieved rate.
# Usage: bench/dispatch.sh [N]   (default 50000)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-50000}"
ROOT="$PWD"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# postfix's smtp-sink and smtp-source, extracted without installing a mail server.
TOOLS="$ROOT/target/bench-tools"
if [[ ! -x "$TOOLS/usr/sbin/smtp-sink" ]]; then
  mkdir -p "$TOOLS"
  (cd "$WORK" && apt-get download postfix >/dev/null 2>&1 && dpkg -x postfix_*.deb "$TOOLS")
fi
export LD_LIBRARY_PATH="$TOOLS/usr/lib/postfix"
SINK="$TOOLS/usr/sbin/smtp-sink"
SOURCE="$TOOLS/usr/sbin/smtp-source"

cargo build --release --quiet --bin ecoute
ECOUTE="$ROOT/target/release/ecoute"
[[ -n "${CARGO_TARGET_DIR:-}" ]] && ECOUTE="$CARGO_TARGET_DIR/release/ecoute"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"
"$SINK" -u nobody -c 127.0.0.1:"$PORT" 1024 >"$WORK/sink.log" 2>&1 &
sleep 0.5

# The program: one survey, everybody in the CSV invited, a ~5 KiB HTML body.
mkdir -p "$WORK/run/programs" "$WORK/run/modeles/email"
python3 - "$WORK/run" "$N" <<'PY'
import sys, pathlib
run, n = pathlib.Path(sys.argv[1]), int(sys.argv[2])
with open(run / "programs/contacts.csv", "w") as f:
    f.write("email,first_name,last_name,segment\n")
    for i in range(n):
        f.write(f"client{i:07d}@example.org,Prénom{i},Nom{i},{'pro' if i % 3 else 'part'}\n")
(run / "programs/bench.yaml").write_text("""program:
  id: bench
  title: { fr: Banc d'essai }
  timezone: Europe/Paris
  default_locale: fr
  locales: [fr]
  sender: { from: "Service clients <avis@example.org>" }
touchpoints:
  - { id: livraison, name: { fr: Livraison }, stage: livraison }
surveys:
  - id: livraison
    touchpoint: livraison
    sample: tous
    channels: [email]
    title: { fr: Votre livraison }
    questions:
      - { id: recommandation, type: nps, text: { fr: Recommanderiez-vous ? } }
contacts:
  - { id: fichier, csv: contacts.csv }
samples:
  - { id: tous, contacts: fichier, rate: 1.0, seed: 1 }
channels:
  - { id: email, type: email, template: invitation }
periods:
  cadence: monthly
  waves: "0 10 2 * *"
  close_after_days: 10
""")
filler = "<p>Votre avis nous aide à améliorer chaque étape de la livraison, du suivi à la remise du colis. " * 38
(run / "modeles/email/invitation.fr.html").write_text(
    "<!doctype html><html lang=\"fr\"><body><p>Bonjour {{ contact.first_name }},</p>"
    + filler + "<p><a href=\"{{ survey_url }}\">Donner mon avis</a></p>"
    "<p><a href=\"{{ unsubscribe_url }}\">Se désinscrire</a></p></body></html>\n")
PY
cd "$WORK/run"
export ECOUTE_DATABASE_URL="sqlite://$WORK/run/ecoute.db"
"$ECOUTE" plan bench --period 2026-11 --commit --templates modeles >/dev/null
# Size of one rendered message, measured on the file transport with a one-contact copy.
mkdir -p "$WORK/one/programs"
cp programs/bench.yaml "$WORK/one/programs/"
head -2 programs/contacts.csv >"$WORK/one/programs/contacts.csv"
(cd "$WORK/one" && "$ECOUTE" send bench --templates "$WORK/run/modeles" --mail "file://$WORK/one/outbox" \
  --database-url "sqlite://$WORK/one/e.db" --period 2026-11 --at 2026-11-02T09:00:00Z >/dev/null)
SIZE="$(stat -c %s "$WORK"/one/outbox/*.eml)"

echo "messages: $N, message size: ${SIZE:-?} bytes"

# (a) smtp-source: 10 parallel sessions, same-size messages.
start=$(date +%s.%N)
"$SOURCE" -d -s 10 -m "$N" -l "${SIZE:-5120}" -f bench@example.org -t sink@example.org 127.0.0.1:"$PORT"
end=$(date +%s.%N)
SOURCE_RATE=$(python3 -c "print(round($N/($end-$start)))")
echo "(a) smtp-source -s 10:            $SOURCE_RATE msg/s"

# (b) Python smtplib over one connection, pre-built messages.
SMTPLIB_RATE=$(python3 - "$PORT" "$N" "${SIZE:-5120}" <<'PY'
import smtplib, sys, time
port, n, size = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = "x" * (size - 200)
msgs = [f"From: a@example.org\r\nTo: b{i}@example.org\r\nSubject: test {i}\r\nMessage-ID: <{i}@bench>\r\n\r\n{body}\r\n" for i in range(n)]
s = smtplib.SMTP("127.0.0.1", port)
t = time.perf_counter()
for i, m in enumerate(msgs):
    s.sendmail("a@example.org", [f"b{i}@example.org"], m)
elapsed = time.perf_counter() - t
s.quit()
print(round(n / elapsed))
PY
)
echo "(b) python smtplib, 1 connection: $SMTPLIB_RATE msg/s"

# (c) ecoute send, every transition committed in SQLite (synchronous=FULL, WAL).
start=$(date +%s.%N)
"$ECOUTE" send bench --templates modeles --mail "smtp://127.0.0.1:$PORT" --no-plan \
  --at 2026-11-02T09:00:00Z --concurrency 512 --connections 16 >"$WORK/ecoute.out"
end=$(date +%s.%N)
cat "$WORK/ecoute.out"
ECOUTE_RATE=$(python3 -c "print(round($N/($end-$start)))")
echo "(c) ecoute send (16 connections, 512 in flight): $ECOUTE_RATE msg/s"
python3 -c "print(f'ecoute / smtp-source = {$ECOUTE_RATE/$SOURCE_RATE:.2f}  (goal >= 0.5)'); print(f'ecoute / smtplib     = {$ECOUTE_RATE/$SMTPLIB_RATE:.2f}  (goal >= 1.5)')"

# Rate-limit fidelity: 2,000 messages at --max-rate 200 into a sink that timestamps each one.
mkdir -p "$WORK/fidelity/programs"
cp "$WORK/run/programs/bench.yaml" "$WORK/fidelity/programs/"
head -2001 "$WORK/run/programs/contacts.csv" >"$WORK/fidelity/programs/contacts.csv"
/usr/bin/python3 -W ignore "$ROOT/tests/smtp/server.py" --maildir "$WORK/fidelity/mail" >"$WORK/fidelity/port" &
sleep 1
FPORT="$(awk '/PORT/{print $2}' "$WORK/fidelity/port")"
(cd "$WORK/fidelity" && ECOUTE_DATABASE_URL="sqlite://$WORK/fidelity/e.db" "$ECOUTE" \
  send bench --mail "smtp://127.0.0.1:$FPORT" --period 2026-11 --at 2026-11-02T09:00:00Z \
  --max-rate 200 --connections 4 >/dev/null)
python3 - "$WORK/fidelity/mail/received.log" <<'PY'
import sys, bisect
times = sorted(float(line.split("\t")[2]) for line in open(sys.argv[1]))
worst = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
achieved = (len(times) - 1) / (times[-1] - times[0])
print(f"rate limit 200/s: {len(times)} messages, busiest 1-second window {worst}, achieved {achieved:.1f}/s ({achieved/200:.1%} of the limit)")
PY

# Summary lines for bench/run (BENCH, name, ecoute, peer name, peer, ratio, unit).
printf 'BENCH\tdispatch-%s\t%s\tsmtp-source\t%s\t%s\tmsg/s\n' "$N" "$ECOUTE_RATE" "$SOURCE_RATE" \
  "$(python3 -c "print(f'{$ECOUTE_RATE/$SOURCE_RATE:.2f}')")"
printf 'BENCH\tdispatch-%s\t%s\tpython-smtplib\t%s\t%s\tmsg/s\n' "$N" "$ECOUTE_RATE" "$SMTPLIB_RATE" \
  "$(python3 -c "print(f'{$ECOUTE_RATE/$SMTPLIB_RATE:.2f}')")"
