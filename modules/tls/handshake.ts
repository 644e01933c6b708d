// The SDK's TLS handshake (modules/crypt/ssl/ssl_handshake.js, mapped to `ssl/sdk-handshake` by our
// manifest) with the checks it skips, mapped as `ssl/handshake` so the SDK's record layer and Session use
// it. Four message handlers differ; everything else is the SDK's own object.
//   ServerKeyExchange: the SDK verifies its signature only when hash, algorithm and signature are all
//     present, so a server without the certificate's key could send none and be accepted. Here the
//     signature is required, by the leaf's key, SHA-256/384/512 with RSA or ECDSA matching that key.
//     Only ECDHE is accepted (DHE is off in our manifest's tls config).
//   ServerHello: a version below the minimum makes the SDK answer with an alert yet report the handshake
//     complete; here it fails.
//   CertificateRequest when no client certificate is configured: the SDK answers with an empty Certificate
//     and the VM then dies (on the simulator: JavaScript stack overflow at 384 and 512 slots, a crash at
//     8192); here the handshake fails with the reason. A server that only asks for a certificate
//     (optional client auth) is refused too.
//   ClientHello (server side, docs/server.md): the SDK digests the handshake messages buffered before the
//     hello when it reads one, and a server has buffered none: its ClientHello handler throws reading
//     `undefined`. Here an empty buffer stands in; the SDK then digests the ClientHello itself.
import sdk from "ssl/sdk-handshake";
import TLSError from "ssl/error";
import { ECDHE_RSA } from "ssl/constants";
import { verifySignature } from "tls/signature";
import type { Hash } from "tls/signature";
import { report } from "tls/report";
import type { TlsReport } from "tls/report";
import { parseCertificate } from "tls/der";

interface Stream {
  readChar(): number;
  readChars(n: number): number;
  readChunk(n: number): ArrayBuffer;
}
interface Session {
  chosenCipher: { keyExchangeAlgorithm: number };
  options: { tls_elliptic_curves: number[]; report?: TlsReport };
  clientRandom: ArrayBuffer;
  serverRandom: ArrayBuffer;
  peerCert?: ArrayBuffer;
  dhparams?: { named_curve: number; dh_Ys: ArrayBuffer };
  alert?: { level: number; description: number };
  clientCerts?: unknown[];
  traceProtocol(protocol: object): void;
}
interface Handler {
  name: string;
  unpacketize(this: Handler, session: Session, s: Stream): unknown;
}

const HASHES: Record<number, Hash> = { 4: "SHA256", 5: "SHA384", 6: "SHA512" };
const RSA_SIGNATURE = 1;
const ECDSA_SIGNATURE = 3;

function refuse(session: Session, reason: string): never {
  report(session.options, "ERR_TLS_HANDSHAKE", reason);
  throw new TLSError(reason);
}

const serverKeyExchange: Handler = {
  ...sdk.serverKeyExchange,
  unpacketize(session, s) {
    session.traceProtocol(this);
    if (session.chosenCipher.keyExchangeAlgorithm !== ECDHE_RSA)
      refuse(session, "ServerKeyExchange for a key exchange other than ECDHE");
    const curveType = s.readChar();
    const curve = s.readChars(2);
    if (curveType !== 3 || !session.options.tls_elliptic_curves.includes(curve))
      refuse(session, `ServerKeyExchange with an unsupported curve (${curveType}/${curve})`);
    const length = s.readChar();
    const point = s.readChunk(length);
    const hash = HASHES[s.readChar()];
    const algorithm = s.readChar();
    const signatureLength = s.readChars(2);
    if (!signatureLength)
      refuse(session, "ServerKeyExchange is not signed: the server did not prove it holds the certificate's key");
    const signature = new Uint8Array(s.readChunk(signatureLength));
    if (!hash)
      refuse(session, "ServerKeyExchange signed without SHA-256, SHA-384 or SHA-512");
    const leaf = session.peerCert;
    if (!leaf)
      refuse(session, "ServerKeyExchange before the server's certificate");
    const key = parseCertificate(leaf).key;
    const kind = algorithm === RSA_SIGNATURE && key.type === "rsa" ? "rsa" : algorithm === ECDSA_SIGNATURE && key.type === "ec" ? "ecdsa" : undefined;
    if (!kind)
      refuse(session, `ServerKeyExchange signed with algorithm ${algorithm}, which does not fit the certificate's ${key.type} key`);
    // signed: client_random ‖ server_random ‖ ServerECDHParams (RFC 8422 5.4)
    const signed = new Uint8Array(64 + 4 + length);
    signed.set(new Uint8Array(session.clientRandom), 0);
    signed.set(new Uint8Array(session.serverRandom), 32);
    signed.set([curveType, curve >> 8, curve & 0xff, length], 64);
    signed.set(new Uint8Array(point), 68);
    if (!verifySignature(new Uint8Array(leaf), kind, hash, signed, signature))
      refuse(session, "ServerKeyExchange signature does not verify with the certificate's key: the server does not hold it");
    session.dhparams = { named_curve: curve, dh_Ys: point };
  },
};

const serverHello: Handler = {
  ...sdk.serverHello,
  unpacketize(session, s) {
    const result = sdk.serverHello.unpacketize.call(this, session, s);
    if (session.alert)
      refuse(session, "the server's TLS version is below the minimum asked for (protocol_version)");
    return result;
  },
};

const certificateRequest: Handler = {
  ...sdk.certificateRequest,
  unpacketize(session, s) {
    const result = sdk.certificateRequest.unpacketize.call(this, session, s);
    if (!session.clientCerts?.length)
      refuse(session, "the server asks for a client certificate and none is configured (tls.clientCertificate, tls.clientKey)");
    return result;
  },
};

const clientHello: Handler = {
  ...sdk.clientHello,
  unpacketize(session, s) {
    const server = session as unknown as { handshakeMessages?: { getChunk(): ArrayBuffer } };
    server.handshakeMessages ??= { getChunk: () => new ArrayBuffer(0) };
    return sdk.clientHello.unpacketize.call(this, session, s);
  },
};

/** The SDK's handshake protocol object, with our handlers; `netkit` tells ssl/cert we are built in. */
const handshake = Object.freeze({ ...sdk, serverKeyExchange, serverHello, certificateRequest, clientHello, netkit: true });
export default handshake;
