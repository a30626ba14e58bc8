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
 * The ingest path's handler: a QoS 1 message is acknowledged to its sender only once the returned
 * promise resolves (its points are on disk); when it rejects, the message stays unacknowledged and
 * its sender sends it again. A handler that returns nothing is acknowledged at once.
 */
export type Consumer = (message: InboundMessage) => void | Promise<void>;

/**
 * The gateway's one view of MQTT, whichever broker carries it: the embedded aedes (consumed
 * in-process) or an external Mosquitto/EMQX (through mqtt.js). Features never see which.
 */
export interface MqttLink {
  /** Subscribes with an MQTT filter (`+`, `#`); returns the function that unsubscribes. */
  subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<() => Promise<void>>;
  /**
   * Takes the messages of a filter with acknowledgement after durability (see Consumer); one
   * consumer per message: the ingest path. Returns the function that stops consuming.
   */
  consume(filter: string, consumer: Consumer): Promise<() => Promise<void>>;
  publish(topic: string, payload: string | Buffer, options?: PublishOptions): Promise<void>;
  close(): Promise<void>;
}
