#!/usr/bin/python3
"""A fleet of gate recognisers publishing QoS 1 events, as third-party devices would (Debian's paho).

Each device is its own MQTT client. Events have unique event ids and are stamped when they happen;
an event stays in paho's outgoing queue until its PUBACK comes, and paho sends it again after every
reconnect, as a real device keeps and resends what was not acknowledged. Every PUBACK'd event is
appended to the acks file (event id, device time, series), so the test can check each acknowledged
event against InfluxDB. Ends when every event is acknowledged, or on SIGTERM; prints a JSON summary.

Usage: puback-publisher.py URL SITE DEVICES TOTAL RATE ACKS_FILE
"""

import json
import random
import signal
import sys
import threading
import time
from urllib.parse import urlparse

import paho.mqtt.client as mqtt

url, site, devices, total, rate, acks_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
broker = urlparse(url)
rng = random.Random(14)

lock = threading.Lock()
acks = open(acks_path, "w", encoding="utf-8")
acked = 0
stopping = threading.Event()


class Device:
    def __init__(self, index):
        self.id = f"gate-{'car' if index % 2 == 0 else 'walk'}-{index + 1:02d}"
        self.seq = 0
        # mid -> the ack line of the event it carries
        self.pending = {}
        # PUBACKs that came back before publish() returned their mid
        self.early = set()
        self.mutex = threading.Lock()
        self.client = mqtt.Client(client_id=f"fault-{self.id}", clean_session=True, protocol=mqtt.MQTTv311)
        # a deep window: the test wants the gateway, not the device, to be what limits throughput
        self.client.max_inflight_messages_set(200)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=0.2, max_delay=1)
        self.client.on_publish = self.on_publish
        self.client.connect_async(broker.hostname, broker.port or 1883, keepalive=10)
        self.client.loop_start()

    def on_publish(self, _client, _userdata, mid):
        with self.mutex:
            line = self.pending.pop(mid, None)
            if line is None:
                self.early.add(mid)
                return
        self.record(line)

    def record(self, line):
        global acked
        with lock:
            acks.write(line)
            acked += 1

    def event(self):
        self.seq += 1
        now = int(time.time() * 1000)
        direction = rng.choice(["in", "out"])
        granted = rng.random() > 0.05
        base = {"ts": now, "eventId": f"{self.id}-{self.seq:06d}", "direction": direction, "granted": granted, "confidence": round(0.9 + rng.random() * 0.1, 3)}
        if self.id.startswith("gate-car"):
            method = "plate"
            payload = {**base, "method": method, "plate": f"沪A{rng.randrange(10000, 99999)}", "plateColor": "blue"}
        else:
            method = rng.choice(["face", "card", "qr"])
            payload = {**base, "method": method, "personId": f"p-{rng.randrange(400):05d}"}
        line = f"{base['eventId']}\t{now}\t{self.id}|{method}|{direction}|{str(granted).lower()}\n"
        # not under self.mutex: paho calls on_publish holding its own queue lock, which publish() takes too
        info = self.client.publish(f"linli/{site}/gate/{self.id}/event", json.dumps(payload, ensure_ascii=False).encode("utf-8"), qos=1)
        with self.mutex:
            early = info.mid in self.early
            if early:
                self.early.discard(info.mid)
            else:
                self.pending[info.mid] = line
        if early:
            self.record(line)


def stop(_signum, _frame):
    stopping.set()


signal.signal(signal.SIGTERM, stop)
fleet = [Device(i) for i in range(devices)]
sent = 0
started = time.monotonic()
last_flush = started
while not stopping.is_set():
    due = min(total, int((time.monotonic() - started) * rate))
    while sent < due:
        fleet[sent % devices].event()
        sent += 1
    with lock:
        if time.monotonic() - last_flush > 0.2:
            acks.flush()
            last_flush = time.monotonic()
        done = acked >= total
    if done:
        break
    time.sleep(0.01)

for d in fleet:
    d.client.loop_stop()
with lock:
    acks.close()
    summary = {"sent": sent, "acked": acked, "unacked": sum(len(d.pending) for d in fleet), "seconds": round(time.monotonic() - started, 1)}
print(json.dumps(summary), flush=True)
