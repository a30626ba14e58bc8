import { join } from "node:path";
import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";
import type { Registry } from "prom-client";
import { createEntryCredentials } from "../gateway/security/credentials.ts";
import { generateSecret } from "../gateway/security/password.ts";
import { DeviceRegistry } from "../gateway/security/registry.ts";

/** Cheap scrypt for tests (the format and code path are the production ones). */
export const TEST_COST = { N: 1024, r: 8, p: 1 };

export interface Spec {
  id: string;
  kind?: string;
  role?: "staff" | "gateway";
  fingerprint?: string;
  noPassword?: boolean;
  site?: string;
}

/** A devices.yaml in `dir` with these entries; returns its path and each entry's secret. */
export async function writeRegistry(dir: string, site: string, specs: Spec[]): Promise<{ path: string; secrets: Record<string, string>; registry: DeviceRegistry }> {
  const registry = new DeviceRegistry();
  const secrets: Record<string, string> = {};
  for (const s of specs) {
    const secret = s.noPassword ? undefined : generateSecret();
    if (secret) secrets[s.id] = secret;
    const creds = await createEntryCredentials(secret, s.fingerprint, TEST_COST);
    if (s.kind) registry.addDevice({ id: s.id, kind: s.kind, site: s.site ?? site, ...creds, disabled: false });
    else registry.addAccount({ id: s.id, role: s.role ?? "staff", site: s.site ?? site, ...creds, disabled: false });
  }
  const path = join(dir, "devices.yaml");
  registry.save(path);
  return { path, secrets, registry };
}

/** Connects as `id` with its secret; resolves the client, or rejects with the CONNACK refusal. */
export function connectAs(url: string, id: string, password: string | undefined, extra: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync(url, { clientId: id, username: id, ...(password === undefined ? {} : { password }), reconnectPeriod: 0, connectTimeout: 10_000, ...extra });
}

/** The summed value of a Prometheus counter, optionally for one label set. */
export async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  return data.values.filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val)).reduce((sum, v) => sum + v.value, 0);
}

/** Connections closed for one limit: clients disconnected for it, plus sockets refused for it. */
export async function limitHits(registry: Registry, reason: string): Promise<number> {
  return (await counter(registry, "linli_client_disconnected_total", { reason })) + (await counter(registry, "linli_connections_refused_total", { reason }));
}

/** Resolves when the client's connection has closed (the broker dropped it). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve();
    client.once("close", () => resolve());
  });
}

/** The granted QoS per filter (128 = refused); mqtt.js rejects a SUBACK with any refusal, so read it off the error. */
export async function grants(client: MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  try {
    const granted = await client.subscribeAsync(filters, { qos });
    return granted.map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw err;
    return packet.granted;
  }
}
