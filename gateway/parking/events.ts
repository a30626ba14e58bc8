/** A car on the deny list read at a car park's entry; the plate as stored (privacy.ids), never in clear unless configured so. */
export interface ParkingDeniedPlate {
  site: string;
  carPark: string;
  gate: string;
  plate: string;
  /** the administrator's note on the listing ("欠费", "曾损坏道闸") */
  label: string;
  /** whether the gate let it in anyway */
  granted: boolean;
  eventId: string;
  snapshot?: string;
  ts: number;
}

declare module "../events.ts" {
  interface GatewayEvents {
    "parking.denied_plate": ParkingDeniedPlate;
  }
}
