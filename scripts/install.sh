#!/bin/sh
# Installs the Firebreak agent or controller as a systemd service.
#
#   install.sh agent --controller 10.0.0.5:7443 --ca-pin SHA256 --enroll-token-file token.txt
#   install.sh controller
#
# The agent comes from the directory this script sits in (the unpacked
# `npm run build:agent` archive) or from dist/ of a checkout; the controller
# from the checkout this script belongs to. --root DIR lays everything out
# under DIR instead of / (a staging tree or a chroot): no user is created and
# systemd is not told. Run it again to upgrade: the data dir and its config
# are kept.
set -eu

die() { echo "install.sh: $*" >&2; exit 2; }
say() { echo "$*"; }

usage() {
  cat <<'EOF'
usage: install.sh agent|controller [options]

  --root DIR               install under DIR instead of / (staging or chroot; no user, no systemctl)
  --prefix DIR             program files (agent: /opt/firebreak-agent, controller: /opt/firebreak)
  --data-dir DIR           state (agent: /var/lib/firebreak-agent, controller: /var/lib/firebreak)
  --user NAME              the service's user, created when missing (default: firebreak)
  --start                  enable and start the service now
agent only:
  --controller HOST:PORT   the controller's agent address (written to the agent's config);
                           several controllers sharing one store: HOST:PORT,HOST:PORT
  --enroll-address H:P     the controller's enrollment address (default: the controller's host, port 7445)
  --ca-pin SHA256          the controller CA's fingerprint, printed by 'firebreak tokens create'
  --enroll-token-file FILE a one-time enrollment token (kept root-only in /etc/firebreak-agent/enroll.env)
  --tag KEY=VALUE          a requested tag; repeat for more (an admin grants it)
EOF
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
what=$1; shift
case "$what" in
  agent|controller) ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; die "first argument must be 'agent' or 'controller', got '$what'" ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root='' prefix='' data_dir='' user=firebreak start=no controller='' enroll_address='' ca_pin='' token_file='' tags=''
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --data-dir) data_dir=${2:?--data-dir needs a directory}; shift 2 ;;
    --user) user=${2:?--user needs a name}; shift 2 ;;
    --start) start=yes; shift ;;
    --controller) controller=${2:?--controller needs HOST:PORT}; shift 2 ;;
    --enroll-address) enroll_address=${2:?--enroll-address needs HOST:PORT}; shift 2 ;;
    --ca-pin) ca_pin=${2:?--ca-pin needs a fingerprint}; shift 2 ;;
    --enroll-token-file) token_file=${2:?--enroll-token-file needs a file}; shift 2 ;;
    --tag) tags="$tags ${2:?--tag needs KEY=VALUE}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

if [ "$what" = agent ]; then
  prefix=${prefix:-/opt/firebreak-agent}; data_dir=${data_dir:-/var/lib/firebreak-agent}
else
  prefix=${prefix:-/opt/firebreak}; data_dir=${data_dir:-/var/lib/firebreak}
  [ -z "$controller$enroll_address$ca_pin$token_file$tags" ] || die "--controller, --enroll-address, --ca-pin, --enroll-token-file and --tag are agent options"
fi
case "$prefix$data_dir" in *@*|*'
'*) die "paths may not contain '@' or newlines" ;; esac
case "$prefix" in /*) ;; *) die "--prefix must be an absolute path, got '$prefix'" ;; esac
case "$data_dir" in /*) ;; *) die "--data-dir must be an absolute path, got '$data_dir'" ;; esac
hp='(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}'
# several controllers sharing one store: a comma-separated list
[ -z "$controller" ] || printf '%s' "$controller" | grep -Eq "^$hp(,$hp)*\$" || die "'$controller' is not HOST:PORT (several controllers: HOST:PORT,HOST:PORT)"
[ -z "$enroll_address" ] || printf '%s' "$enroll_address" | grep -Eq "^$hp\$" || die "'$enroll_address' is not HOST:PORT"
printf '%s' "$user" | grep -Eq '^[a-z_][a-z0-9_-]{0,31}$' || die "--user '$user' is not a valid user name"
if [ -z "$root" ] && [ "$(id -u)" != 0 ]; then die "run as root (or with --root DIR to stage the files)"; fi
if [ -n "$root" ]; then mkdir -p "$root"; root=$(cd "$root" && pwd); fi

node_bin=$(command -v node || true)
[ -n "$node_bin" ] || die "node is not installed: install Node.js 20 or newer (e.g. apt-get install -y nodejs)"
major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "Node.js $major is too old: Firebreak needs 20 or newer"

# Where the program files come from.
if [ "$what" = agent ]; then
  if [ -f "$here/firebreak-agent.mjs" ]; then src=$here; units=$here/systemd
  elif [ -f "$here/../dist/firebreak-agent.mjs" ]; then src=$(cd "$here/../dist" && pwd); units=$here/systemd
  else die "no agent bundle next to this script or in dist/: run 'npm run build:agent' first"; fi
else
  src=$(cd "$here/.." && pwd); units=$here/systemd
  [ -f "$src/bin/firebreak-controller.js" ] && [ -d "$src/node_modules" ] || die "run from a checkout with its dependencies installed ('npm ci' in $src)"
fi
[ -f "$units/firebreak-$what.service" ] || die "unit template $units/firebreak-$what.service is missing"

# The service user (not under --root: a staging tree has no users of its own).
if [ -z "$root" ] && ! id "$user" >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir "$data_dir" --shell /usr/sbin/nologin "$user" || die "cannot create user '$user'"
  say "created system user $user"
fi

# Program files: replaced whole, root-owned, read-only to the service.
dest=$root$prefix
mkdir -p "$dest"
if [ "$what" = agent ]; then
  rm -f "$dest"/firebreak-agent-*.mjs
  for f in "$src"/firebreak-agent "$src"/firebreak-agent*.mjs "$src"/firebreak.proto; do cp "$f" "$dest/"; done
  chmod 0755 "$dest/firebreak-agent"
else
  for d in bin controller proto playbooks; do rm -rf "${dest:?}/$d"; cp -R "$src/$d" "$dest/$d"; done
  # the dashboard's built page (npm ci builds it); without it --dashboard-listen answers 503
  rm -rf "${dest:?}/dashboard"
  if [ -f "$src/dashboard/dist/index.html" ]; then mkdir -p "$dest/dashboard"; cp -R "$src/dashboard/dist" "$dest/dashboard/dist"
  else echo "install.sh: warning: $src/dashboard/dist is not built (npm run build:dashboard); the dashboard will answer 503" >&2; fi
  cp "$src/package.json" "$src/package-lock.json" "$src/tsconfig.json" "$dest/"
  rm -rf "${dest:?}/node_modules"; cp -R "$src/node_modules" "$dest/node_modules"
fi
chmod -R go-w "$dest"
[ -n "$root" ] || chown -R root:root "$dest"

# State: only the service user may read it.
mkdir -p "$root$data_dir"
chmod 0700 "$root$data_dir"
[ -n "$root" ] || chown "$user:$user" "$root$data_dir"

if [ "$what" = agent ]; then
  cfg=$root$data_dir/agent.json
  if [ -n "$controller$enroll_address$tags" ]; then
    if [ -f "$cfg" ]; then
      say "kept the existing $cfg (edit it, or run the agent once with --save, to change it)"
    else
      CONTROLLER="$controller" ENROLL_ADDRESS="$enroll_address" TAGS="$tags" "$node_bin" -e '
        const tags = {};
        for (const t of (process.env.TAGS || "").trim().split(/\s+/).filter(Boolean)) {
          const i = t.indexOf("=");
          if (i <= 0) { console.error(`install.sh: bad tag "${t}": use KEY=VALUE`); process.exit(2); }
          tags[t.slice(0, i)] = t.slice(i + 1);
        }
        const cfg = { controller: process.env.CONTROLLER || undefined, enrollAddress: process.env.ENROLL_ADDRESS || undefined, tags };
        require("fs").writeFileSync(process.argv[1], JSON.stringify(cfg, null, 2) + "\n", { mode: 0o600 });
      ' "$cfg"
      [ -n "$root" ] || chown "$user:$user" "$cfg"
      say "wrote $cfg"
    fi
  fi
  if [ -n "$token_file$ca_pin" ]; then
    [ -z "$token_file" ] || [ -r "$token_file" ] || die "cannot read the token file '$token_file'"
    token=''
    [ -z "$token_file" ] || token=$(tr -d ' \r\n' < "$token_file")
    printf '%s' "$token$ca_pin" | grep -Eq '^[A-Za-z0-9_.:=+/-]*$' || die "the token or CA pin holds characters a token never has"
    mkdir -p "$root/etc/firebreak-agent"; chmod 0700 "$root/etc/firebreak-agent"
    env_file=$root/etc/firebreak-agent/enroll.env
    (umask 077; { [ -z "$token" ] || echo "FIREBREAK_ENROLL_TOKEN=$token"; [ -z "$ca_pin" ] || echo "FIREBREAK_CA_PIN=$ca_pin"; } > "$env_file")
    chmod 0600 "$env_file"
    say "wrote $env_file (root only; the token is spent at the first start)"
  fi
fi

# The unit, with this install's paths.
unit=$root/etc/systemd/system/firebreak-$what.service
mkdir -p "$(dirname "$unit")"
sed -e "s#@PREFIX@#$prefix#g" -e "s#@DATA_DIR@#$data_dir#g" -e "s#@USER@#$user#g" -e "s#@NODE@#$node_bin#g" \
  "$units/firebreak-$what.service" > "$unit"
chmod 0644 "$unit"
say "wrote $unit"

if [ -n "$root" ]; then
  say "staged under $root: nothing was started"
elif command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$start" = yes ]; then systemctl enable --now "firebreak-$what.service"; say "started firebreak-$what"
  else say "next: systemctl enable --now firebreak-$what"; fi
else
  say "systemd is not running here: start it by hand with: $(sed -n 's/^ExecStart=//p' "$unit")"
fi
