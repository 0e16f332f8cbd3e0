# Runs inside a fresh user + network + mount + pid namespace (see isolation.ts): no network at all (the new
# namespace has only a down loopback), and every writable mount of the host read-only except the folders given
# before `--`. Usage: sh confine.sh <writable dir>... -- <command> [args...]
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
  mount --bind "$1" "$1" || { echo "specwright-sandbox: cannot bind $1" >&2; exit 125; }
  keep="$keep|$1|"
  shift
done
shift
while read -r _dev point _type opts _rest; do
  case "$opts" in rw*) ;; *) continue ;; esac
  case "$point" in *\\*|/proc|/proc/*|/sys|/sys/*|/dev/pts) continue ;; esac
  case "$keep" in *"|$point|"*) continue ;; esac
  mount -o remount,bind,ro "$point" 2>/dev/null
done < /proc/self/mounts
if [ -w / ]; then
  echo "specwright-sandbox: could not make / read-only" >&2
  exit 126
fi
# the shell added these to the environment; the child gets exactly what the parent passed
unset PWD OLDPWD SHLVL _
exec "$@"
