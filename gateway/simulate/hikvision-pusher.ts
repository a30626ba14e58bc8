import type { GateEvent } from "../../devices/gate.ts";

/** An ISO 8601 time with the +08:00 offset a camera in China stamps. */
function cameraTime(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().replace(/\.\d+Z$/, "+08:00");
}

/** The ISAPI EventNotificationAlert a Hikvision ANPR camera pushes for one plate pass. */
export function anprAlert(deviceId: string, e: Extract<GateEvent, { method: "plate" }>, ts: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<channelID>1</channelID>
<dateTime>${cameraTime(ts)}</dateTime>
<activePostCount>1</activePostCount>
<eventType>ANPR</eventType>
<eventState>active</eventState>
<eventDescription>ANPR</eventDescription>
<channelName>${deviceId}</channelName>
<ANPR>
<country>CN</country>
<licensePlate>${e.plate}</licensePlate>
<line>1</line>
<direction>${e.direction === "in" ? "forward" : "reverse"}</direction>
<confidenceLevel>${Math.round(e.confidence * 100)}</confidenceLevel>
<plateType>92TypeCivil</plateType>
<plateColor>${e.plateColor ?? "blue"}</plateColor>
<vehicleType>vehicle</vehicleType>
<vehicleListName>${e.granted ? "allowList" : "otherList"}</vehicleListName>
<pictureInfoList><pictureInfo><fileName>detectionPicture.jpg</fileName><type>detectionPicture</type><dataType>0</dataType></pictureInfo></pictureInfoList>
</ANPR>
<UUID>${e.eventId}</UUID>
<picNum>1</picNum>
</EventNotificationAlert>`;
}

/** multipart/form-data as the camera builds it: the XML part first, then the JPEG. */
export function anprMultipart(xml: string, jpeg: Buffer | undefined): { body: Buffer; type: string } {
  const boundary = `MIME_boundary_${Math.random().toString(16).slice(2)}`;
  const part = (name: string, type: string, bytes: Buffer) => [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}"\r\nContent-Type: ${type}\r\nContent-Length: ${bytes.length}\r\n\r\n`), bytes, Buffer.from("\r\n")];
  const parts = [...part("anpr.xml", "text/xml", Buffer.from(xml)), ...(jpeg ? part("detectionPicture.jpg", "image/jpeg", jpeg) : []), Buffer.from(`--${boundary}--\r\n`)];
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/**
 * A simulated Hikvision ANPR camera in "HTTP listening" mode: each plate pass POSTed to the
 * gateway's push path with the camera's registry login (Basic), the XML and a JPEG, as the camera
 * does. A push the gateway does not answer 200 is counted as failed, as a camera would log it.
 */
export class HikvisionPusher {
  #failed = 0;

  constructor(
    private readonly url: string,
    private readonly deviceId: string,
    private readonly secret: string,
    private readonly jpeg: Buffer | undefined,
  ) {}

  get failed(): number {
    return this.#failed;
  }

  send(e: Extract<GateEvent, { method: "plate" }>, ts: number): void {
    const { body, type } = anprMultipart(anprAlert(this.deviceId, e, ts), this.jpeg);
    const authorization = `Basic ${Buffer.from(`${this.deviceId}:${this.secret}`).toString("base64")}`;
    fetch(this.url, { method: "POST", body: new Uint8Array(body), headers: { "content-type": type, authorization } })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.status !== 200) this.#failed++;
      })
      .catch(() => this.#failed++);
  }
}
