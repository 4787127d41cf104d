// TLS for `amqps://` broker URLs (issue 17). Certificate checks are always on:
// the broker's certificate must chain to a trusted CA and name the URL's host
// (Node's defaults; this file never turns them off).
//
// Whom to trust, from the environment:
// - PBKV_TLS_CA: a PEM file of CA certificates. It replaces Node's built-in
//   roots for the broker connection: only those CAs are trusted.
// - NODE_EXTRA_CA_CERTS (Node's own, read once at process start): a PEM file
//   added to the built-in roots, for every TLS connection of the process.
// A client certificate for a broker that asks for one (`ssl_options.verify =
// verify_peer`): PBKV_TLS_CERT and PBKV_TLS_KEY, PEM files, both or neither.
//
// Everything is read and checked when a connection starts, so a wrong path or
// a key that does not match its certificate is one readable error up front,
// not a handshake failure retried in a loop.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";

export const tlsCaVariable = "PBKV_TLS_CA";
export const tlsCertVariable = "PBKV_TLS_CERT";
export const tlsKeyVariable = "PBKV_TLS_KEY";

/** A TLS setting that cannot be used: a file missing or unreadable, not PEM, or a key that does not fit. */
export class TlsConfigurationError extends Error {
  override readonly name = "TlsConfigurationError";
}

/** What amqplib passes on to `tls.connect` for an `amqps://` URL. */
export interface TlsSocketOptions {
  rejectUnauthorized: true;
  /** The URL's host name, for SNI and the certificate's name check; absent for an IP address. */
  servername?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * The socket options that secure a connection to `url`: none for `amqp://`
 * (the TLS variables are ignored then), checked TLS options for `amqps://`.
 * Throws a TlsConfigurationError naming the variable and file at fault.
 */
export function tlsSocketOptions(
  url: string,
  environment: NodeJS.ProcessEnv = process.env,
): TlsSocketOptions | Record<string, never> {
  const parsed = new URL(url);
  if (parsed.protocol !== "amqps:") return {};
  const options: TlsSocketOptions = { rejectUnauthorized: true };
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  // RFC 6066 forbids an IP address as SNI; Node then checks the certificate's IP entries against the host.
  if (!net.isIP(host)) options.servername = host;
  const caPath = setting(environment, tlsCaVariable);
  if (caPath !== null) options.ca = readCertificates(caPath, tlsCaVariable);
  const certPath = setting(environment, tlsCertVariable);
  const keyPath = setting(environment, tlsKeyVariable);
  if ((certPath === null) !== (keyPath === null)) {
    throw new TlsConfigurationError(
      `${tlsCertVariable} and ${tlsKeyVariable} go together: set both or neither`,
    );
  }
  if (certPath !== null && keyPath !== null) {
    options.cert = readCertificates(certPath, tlsCertVariable);
    options.key = readKey(keyPath);
    assertKeyFitsCertificate(options.cert, options.key);
  }
  return options;
}

/** A variable's value, null when unset or empty (an empty value is how a shell unsets one for a command). */
function setting(environment: NodeJS.ProcessEnv, name: string): string | null {
  const value = environment[name];
  return value === undefined || value === "" ? null : value;
}

function readFile(filePath: string, variable: string): Buffer {
  try {
    return readFileSync(filePath);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new TlsConfigurationError(`${variable}=${filePath}: cannot read the file (${reason})`, {
      cause: error,
    });
  }
}

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The file's content, once every PEM certificate in it parses (Node would silently skip a bad CA). */
function readCertificates(filePath: string, variable: string): Buffer {
  const content = readFile(filePath, variable);
  const blocks = content.toString("latin1").match(pemCertificate) ?? [];
  if (blocks.length === 0) {
    throw new TlsConfigurationError(
      `${variable}=${filePath}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)`,
    );
  }
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new TlsConfigurationError(
        `${variable}=${filePath}: certificate ${index + 1} of ${blocks.length} does not parse (${(error as Error).message})`,
        { cause: error },
      );
    }
  });
  return content;
}

/** PKCS#8 and the older OpenSSL form mark an encrypted PEM key so. */
const encryptedKey = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

/** The client key; an encrypted one is refused by name (there is no passphrase to give it). */
function readKey(filePath: string): Buffer {
  const key = readFile(filePath, tlsKeyVariable);
  if (encryptedKey.test(key.toString("latin1"))) {
    throw new TlsConfigurationError(
      `${tlsKeyVariable}=${filePath}: the key is encrypted; give an unencrypted copy (openssl pkey -in KEY -out PLAIN_KEY) in a file only the pbkv user can read`,
    );
  }
  return key;
}

/** A key that is not PEM or belongs to another certificate fails here, named. */
function assertKeyFitsCertificate(cert: Buffer, key: Buffer): void {
  try {
    tls.createSecureContext({ cert, key });
  } catch (error) {
    throw new TlsConfigurationError(
      `${tlsCertVariable} and ${tlsKeyVariable}: not a usable certificate and key (${(error as Error).message})`,
      { cause: error },
    );
  }
}
