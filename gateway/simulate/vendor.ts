import type { GateEvent } from "../../devices/gate.ts";
import type { ThrowEvent } from "../../devices/throw.ts";
import type { DahuaDeviceConfig } from "../push/dahua-config.ts";
import { createEntryCredentials } from "../security/credentials.ts";
import { generateSecret } from "../security/password.ts";
import { DeviceRegistry } from "../security/registry.ts";
import { SimulatedDahuaDevice } from "./dahua-device.ts";
import type { FleetMessage } from "./fleet.ts";
import { HikvisionPusher } from "./hikvision-pusher.ts";
import type { RtspLifts } from "./rtsp-lifts.ts";

/** The simulator's own MQTT login (role gateway: it publishes for every MQTT device of the site). */
export const SIM_ACCOUNT = "linli-sim";
/** Dahua AccessControl `Method` of each canonical method it has (docs/devices.md). */
const ACCESS_METHOD: Partial<Record<GateEvent["method"], number>> = { face: 15, card: 1 };

export interface VendorOptions {
  site: string;
  /** the gateway's Hikvision push URL, e.g. http://127.0.0.1:8080/push/hikvision */
  hikvisionUrl: string;
  /** simulated device ids by kind (Fleet.deviceIds) */
  gates: readonly string[];
  throwCameras: readonly string[];
  /** the picture a Hikvision camera sends with each plate */
  jpeg?: Buffer;
  /** where the registry of the pushing cameras and the simulator's MQTT account is written */
  registryPath: string;
  /** lift cameras served over RTSP (rtsp-lifts.ts): their MQTT frames are not sent */
  rtsp?: RtspLifts;
}

/**
 * The simulated compound's gates and throw cameras as the vendors' devices speak: plate gates as
 * Hikvision ANPR cameras pushing ISAPI alerts to the gateway, walk-through gates (face, card) and
 * throw cameras as Dahua devices whose event stream the gateway attaches to, and some lift cameras
 * as RTSP streams. What they have no
 * vendor form for (QR passes, the MQTT heartbeats their vendors replace) and every other kind stay
 * on MQTT.
 */
export class VendorFleet {
  private constructor(
    readonly mqttPassword: string,
    private readonly pushers: ReadonlyMap<string, HikvisionPusher>,
    private readonly dahua: ReadonlyMap<string, { device: SimulatedDahuaDevice; kind: "gate" | "throw"; password: string }>,
    private readonly rtsp: RtspLifts | undefined,
  ) {}

  static async start(o: VendorOptions): Promise<VendorFleet> {
    const registry = new DeviceRegistry();
    const mqttPassword = generateSecret();
    registry.addAccount({ id: SIM_ACCOUNT, role: "gateway", site: o.site, ...(await createEntryCredentials(mqttPassword, undefined)), disabled: false });
    const pushers = new Map<string, HikvisionPusher>();
    const dahua = new Map<string, { device: SimulatedDahuaDevice; kind: "gate" | "throw"; password: string }>();
    for (const id of o.gates) {
      // the simulated gates name what they recognise: gate-car-* read plates, gate-walk-* faces and cards
      if (id.startsWith("gate-car")) {
        const secret = generateSecret();
        registry.addDevice({ id, kind: "gate", site: o.site, ...(await createEntryCredentials(secret, undefined)), disabled: false });
        pushers.set(id, new HikvisionPusher(o.hikvisionUrl, id, secret, o.jpeg));
      } else {
        const password = generateSecret();
        dahua.set(id, { device: await SimulatedDahuaDevice.start({ user: "admin", password }), kind: "gate", password });
      }
    }
    for (const id of o.throwCameras) {
      const password = generateSecret();
      dahua.set(id, { device: await SimulatedDahuaDevice.start({ user: "admin", password }), kind: "throw", password });
    }
    registry.save(o.registryPath);
    return new VendorFleet(mqttPassword, pushers, dahua, o.rtsp);
  }

  /** `push.dahua.devices` for the gateway: where each simulated Dahua device listens, and its login. */
  dahuaDevices(): DahuaDeviceConfig[] {
    return [...this.dahua].map(([id, d]) => ({ id, kind: d.kind, url: d.device.url, user: "admin", password: d.password, codes: ["All"] }));
  }

  /** pushes the gateway did not answer 200 */
  get failed(): number {
    return [...this.pushers.values()].reduce((n, p) => n + p.failed, 0);
  }

  /** Sends a message the vendor's way; false when it has none and the message goes on MQTT. */
  route(m: FleetMessage, now: number): boolean {
    // an RTSP lift's frames come from its stream; its car state still goes on MQTT
    if (m.kind === "lift") return m.channel === "frame" && this.rtsp?.urls[m.deviceId] !== undefined;
    const pusher = this.pushers.get(m.deviceId);
    const dahua = this.dahua.get(m.deviceId);
    if (!pusher && !dahua) return false;
    // the vendors' heartbeats (ISAPI's, Dahua's Heartbeat parts) stand in for linli's status channel
    if (m.channel === "status") return true;
    if (m.channel !== "event") return false;
    if (pusher) {
      const e = m.payload as GateEvent;
      if (e.method !== "plate") return false;
      pusher.send(e, now);
      return true;
    }
    const seconds = Math.floor(now / 1000);
    if (dahua?.kind === "throw") {
      const e = m.payload as ThrowEvent;
      const start = e.track[0];
      // the tripwire fires where the object crossed it; Dahua's IVS coordinates run 0–8191
      dahua.device.send("CrossLineDetection", "Start", 0, { Name: e.building, Class: "Normal", EventID: Number(e.eventId.split("-").at(-1)), Object: { ObjectType: "Unknown", Center: start ? [Math.round(start.x * 8191), Math.round(start.y * 8191)] : [0, 0] }, RealUTC: seconds, UTC: seconds + 8 * 3600, UTCMS: now % 1000 });
      dahua.device.send("CrossLineDetection", "Stop", 0, { Name: e.building, RealUTC: seconds });
      return true;
    }
    const e = m.payload as GateEvent;
    const method = ACCESS_METHOD[e.method];
    if (!dahua || method === undefined || e.method === "plate") return false;
    dahua.device.send("AccessControl", "Pulse", 0, { Name: "Door1", Method: method, UserID: method === 15 ? e.personId : "", CardNo: method === 1 ? e.personId : "", Status: e.granted ? 1 : 0, Type: e.direction === "in" ? "Entry" : "Exit", ErrorCode: e.granted ? 0 : 16, RealUTC: seconds, UTC: seconds + 8 * 3600 });
    return true;
  }

  async stop(): Promise<void> {
    await Promise.all([...[...this.dahua.values()].map((d) => d.device.stop()), this.rtsp?.stop()]);
  }
}
