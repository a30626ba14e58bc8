/**
 * `camera.status`: an RTSP lift camera started streaming, stalled (no frame for `staleMs`) or failed
 * (ffmpeg exited or could not start). `detail` says why and when the next try is, with the URL's
 * credentials redacted.
 */
export interface CameraStatus {
  site: string;
  lift: string;
  ts: number;
  state: "streaming" | "stalled" | "failed";
  detail: string;
}

declare module "../events.ts" {
  interface GatewayEvents {
    "camera.status": CameraStatus;
  }
}
