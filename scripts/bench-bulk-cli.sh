#!/usr/bin/env bash
# End-to-end throughput of `priority-line sla due --opened -`: a file of random
# opening instants over two years, read from a file, deadlines to /dev/null.
# Usage: scripts/bench-bulk-cli.sh [LINES]   (default 2,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-2000000}
cargo build --release --quiet
input=$(mktemp)
trap 'rm -f "$input"' EXIT
python3 - "$lines" > "$input" <<'PY'
import random, sys
from datetime import datetime, timedelta, timezone
random.seed(42)
start = datetime(2026, 1, 1, tzinfo=timezone.utc)
offsets = [timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=13, minutes=45))]
out = sys.stdout
for _ in range(int(sys.argv[1])):
    t = start + timedelta(seconds=random.randrange(2 * 365 * 86400))
    out.write(t.astimezone(random.choice(offsets)).isoformat() + "\n")
PY
for plan_severity in "premium 3" "premium 4" "standard 2"; do
  set -- $plan_severity
  begin=$(date +%s.%N)
  ./target/release/priority-line sla due --config config/example.toml --calendar madrid \
    --plan "$1" --severity "$2" --opened - < "$input" > /dev/null
  end=$(date +%s.%N)
  python3 -c "import sys; l=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print(f'plan $1 severity $2: {l:,} lines in {s:.3f} s = {l/s:,.0f} lines/s')" "$lines" "$begin" "$end"
done
