// Where the local fixture servers are, from the app's config (set by the runner of each lane).
import config from "mc/config";

export function fixtureHost(): string {
  return String(config.fixtureHost ?? "127.0.0.1");
}

export function fixturePort(name: "Echo" | "Banner" | "Counter" | "Refused" | "Tls" | "Stranger" | "Sntp" | "Http" | "Silent" | "Https" | "Probe"): number {
  const port = Number(config[`fixture${name}Port`]);
  if (!(port > 0))
    throw new Error(`config.fixture${name}Port is not set: run the cases through a lane runner`);
  return port;
}

/** Which lane runs the cases: "node" (host runtime) or "sim" (the SDK's Linux simulator). */
export function lane(): "node" | "sim" {
  return config.testLane === "sim" ? "sim" : "node";
}

/** A value the TLS zoo put in the config (tools/tls-zoo.ts): `zoo_<name>`. */
export function zooValue(name: string): string {
  const value = config[`zoo_${name}`];
  if (value === undefined)
    throw new Error(`config.zoo_${name} is not set: run the cases through a lane runner`);
  return String(value);
}

/** The port of a TLS zoo server. */
export function zooPort(name: string): number {
  return Number(zooValue(name));
}

let serverPortsTaken = 0;

/** A free port for a server of the device (one per call; the runner of each lane picks them). */
export function serverPort(): number {
  const ports = String(config.fixtureServerPorts ?? "").split(",").filter((p) => p);
  if (serverPortsTaken >= ports.length)
    throw new Error(`config.fixtureServerPorts has ${ports.length} ports, all taken: run the cases through a lane runner`);
  return Number(ports[serverPortsTaken++]);
}
