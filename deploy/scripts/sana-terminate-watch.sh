#!/usr/bin/env bash
# Polls Azure Scheduled Events (instance metadata service). When Azure schedules this VM's termination (scale-in,
# delete), spot eviction, reboot or redeploy, it stops sana-silo.service first (the silo finishes or hands back its
# chunks and leaves the cluster; systemd allows TimeoutStopSec for that) and then approves the event so Azure goes
# ahead without waiting for the notice period to run out.
set -uo pipefail

api='http://169.254.169.254/metadata'
version='api-version=2020-07-01'

me=''
until [[ -n $me ]]; do
  me=$(curl -fsS -H Metadata:true "${api}/instance/compute/name?api-version=2021-02-01&format=text") || me=''
  [[ -n $me ]] || sleep 10
done
echo "sana-terminate-watch: watching scheduled events for ${me}"

while true; do
  if doc=$(curl -fsS -H Metadata:true "${api}/scheduledevents?${version}"); then
    events=$(jq -r --arg me "$me" '.Events[]
      | select(.EventType == "Terminate" or .EventType == "Preempt" or .EventType == "Reboot" or .EventType == "Redeploy")
      | select(.Resources | index($me))
      | .EventId' <<<"$doc") || events=''
    for id in $events; do
      echo "sana-terminate-watch: event ${id} for ${me}: stopping sana-silo"
      systemctl stop sana-silo.service
      curl -fsS -H Metadata:true -H 'Content-Type: application/json' -X POST \
        -d "{\"StartRequests\":[{\"EventId\":\"${id}\"}]}" "${api}/scheduledevents?${version}" ||
        echo "sana-terminate-watch: could not approve ${id}; Azure proceeds when the notice runs out"
    done
  fi
  sleep 5
done
