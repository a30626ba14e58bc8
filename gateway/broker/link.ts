/** A message as the gateway receives it, from the embedded broker or an external one. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  /** MQTT 5 user properties, when present */
  userProperties?: Record<string, string | string[]>;
}

export interface PublishOptions {
  qos?: 0 | 1;
  retain?: boolean;
}

/**
 * The gateway's one view of MQTT, whichever broker carries it: the embedded aedes (consumed
 * in-process) or an external Mosquitto/EMQX (through mqtt.js). Features never see which.
 */
export interface MqttLink {
  /** Subscribes with an MQTT filter (`+`, `#`); returns the function that unsubscribes. */
  subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<() => Promise<void>>;
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  close(): Promise<void>;
}
