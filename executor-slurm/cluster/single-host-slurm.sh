#!/usr/bin/env bash
# A real single-host Slurm 22.05 cluster with fake GPUs, for the executor's tests and for trying the executor out:
# slurmctld, slurmd and slurmrestd (JWT) on loopback, every file under one folder. Run as root on Debian 12 with
# the packages slurm-wlm, slurmrestd and munge installed (.ci/run installs them).
#
#   single-host-slurm.sh start DIR [GPUS]   writes DIR/slurm.conf, starts the daemons, waits until the node is idle;
#                                           prints the settings the executor needs (also in DIR/executor.properties)
#   single-host-slurm.sh stop DIR           cancels every job (killing the daemons would leave them running), stops all
#
# Ports: SLURM_TEST_CTLD_PORT (6817), SLURM_TEST_SLURMD_PORT (6818), SLURM_TEST_REST_PORT (6820).
set -euo pipefail

command=${1:?usage: single-host-slurm.sh start|stop DIR [GPUS]}
dir=$(realpath -m "${2:?usage: single-host-slurm.sh start|stop DIR [GPUS]}")
gpus=${3:-2}
ctld_port=${SLURM_TEST_CTLD_PORT:-6817}
slurmd_port=${SLURM_TEST_SLURMD_PORT:-6818}
rest_port=${SLURM_TEST_REST_PORT:-6820}
export SLURM_CONF="$dir/slurm.conf"

stop() {
  if [ -f "$SLURM_CONF" ] && scontrol ping >/dev/null 2>&1; then
    scancel --full --signal=KILL --quiet $(squeue -h -o %i 2>/dev/null) 2>/dev/null || true
    for _ in $(seq 50); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  if [ -f "$dir/run/slurmrestd.pid" ]; then
    group=$(cat "$dir/run/slurmrestd.pid")
    kill -TERM -- "-$group" 2>/dev/null || true
    for _ in $(seq 20); do kill -0 -- "-$group" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$group" 2>/dev/null || true  # runuser outlives its child on TERM
    rm -f "$dir/run/slurmrestd.pid"
  fi
  for pidfile in "$dir"/run/slurmd.pid "$dir"/run/slurmctld.pid; do
    if [ -f "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$pidfile"
    fi
  done
}

if [ "$command" = stop ]; then stop; exit 0; fi
[ "$command" = start ] || { echo "unknown command $command: start or stop" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root: the daemons start jobs as their users" >&2; exit 2; }
for program in slurmctld slurmd slurmrestd munged munge unmunge scontrol sinfo squeue scancel runuser; do
  command -v "$program" >/dev/null || { echo "missing $program: apt-get install -y slurm-wlm slurmrestd munge" >&2; exit 2; }
done

stop
mkdir -p "$dir"/{state,spool,run,log,dev}
chmod 755 "$dir" "$dir"/run "$dir"/log
host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))

# munge: the packaged key; its socket folder must be reachable by every user
if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
  [ -f /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  runuser -u munge -- /usr/sbin/munged
fi
chmod 755 /run/munge

# the JWT key slurmctld checks tokens with (slurmrestd passes them on)
[ -f "$dir/jwt.key" ] || { dd if=/dev/urandom bs=32 count=1 of="$dir/jwt.key" 2>/dev/null; }
chmod 600 "$dir/jwt.key"

# fake GPUs: gres needs a character device per GPU; links to /dev/null do
gpu_files=""
for i in $(seq 0 $((gpus - 1))); do ln -sf /dev/null "$dir/dev/gpu$i"; done
[ "$gpus" -gt 0 ] && gpu_files="$dir/dev/gpu[0-$((gpus - 1))]"

cat > "$dir/slurm.conf" <<CONF
ClusterName=training
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$dir/jwt.key
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=512
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
AccountingStorageType=accounting_storage/none
MinJobAge=3600
KillWait=30
ReturnToService=2
SchedulerParameters=sched_interval=1
MpiDefault=none
GresTypes=gpu
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory Gres=gpu:$gpus State=UNKNOWN
PartitionName=gpu Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
cat > "$dir/gres.conf" <<CONF
AutoDetect=off
NodeName=$host Name=gpu File=$gpu_files
CONF
chmod 644 "$dir/slurm.conf" "$dir/gres.conf"

slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 100); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
  case "$state" in idle*|mix*|alloc*) break ;; esac
  sleep 0.1
done
case "$state" in idle*|mix*|alloc*) ;; *) echo "node $host is '$state', not idle; see $dir/log" >&2; exit 1 ;; esac

# slurmrestd refuses to run as root
# in a process group of its own (its pid file names the group), so that stop reaches slurmrestd under runuser
setsid runuser -u slurm -- env SLURM_CONF="$SLURM_CONF" SLURM_JWT=daemon /usr/sbin/slurmrestd -a rest_auth/jwt \
  -s openapi/v0.0.38 "127.0.0.1:$rest_port" >"$dir/log/slurmrestd.log" 2>&1 &
echo $! > "$dir/run/slurmrestd.pid"
token=$(scontrol token username=root lifespan=86400 | sed 's/^SLURM_JWT=//')
echo -n "$token" > "$dir/token"
chmod 600 "$dir/token"
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$rest_port") 2>/dev/null && break
  sleep 0.1
done
cat > "$dir/executor.properties" <<PROPS
training.executor=slurm
training.gpu.inventory=slurm
training.slurm.url=http://127.0.0.1:$rest_port
training.slurm.user=root
training.slurm.token-file=$dir/token
training.slurm.partition=gpu
PROPS
cat "$dir/executor.properties"
