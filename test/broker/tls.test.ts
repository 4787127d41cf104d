// The socket options for an amqps:// URL (src/broker/tls.ts): certificate
// checks always on, the URL's host as servername, the PEM files of the TLS
// variables read and checked up front, each fault a readable error naming the
// variable and the file. (The handshakes themselves: test/integration/tls.test.ts.)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TlsConfigurationError, tlsSocketOptions } from "../../src/broker/tls.js";
import { hasOpenssl, makeTestCertificates, type TestCertificates } from "../support/certificates.js";

const url = "amqps://user:secret@broker.example:5671/vhost";

describe("tlsSocketOptions without files", () => {
  it("adds nothing to a plain amqp:// connection, whatever the variables say", () => {
    expect(tlsSocketOptions("amqp://guest:guest@localhost", { PBKV_TLS_CA: "/nonexistent.pem" })).toEqual({});
  });

  it("checks certificates against Node's roots and names the URL's host", () => {
    expect(tlsSocketOptions(url, {})).toEqual({ rejectUnauthorized: true, servername: "broker.example" });
  });

  it("sends no servername for an IP address (RFC 6066), and treats an empty variable as unset", () => {
    const empty = { PBKV_TLS_CA: "", PBKV_TLS_CERT: "", PBKV_TLS_KEY: "" };
    expect(tlsSocketOptions("amqps://127.0.0.1:5671", empty)).toEqual({ rejectUnauthorized: true });
    expect(tlsSocketOptions("amqps://[::1]:5671", empty)).toEqual({ rejectUnauthorized: true });
  });

  it("names the variable and file it cannot read", () => {
    const missing = () => tlsSocketOptions(url, { PBKV_TLS_CA: "/nonexistent/ca.pem" });
    expect(missing).toThrow(TlsConfigurationError);
    expect(missing).toThrow("PBKV_TLS_CA=/nonexistent/ca.pem: cannot read the file (ENOENT)");
  });

  it("wants a client certificate and its key together", () => {
    expect(() => tlsSocketOptions(url, { PBKV_TLS_CERT: "/some/cert.pem" })).toThrow(
      "PBKV_TLS_CERT and PBKV_TLS_KEY go together: set both or neither",
    );
  });
});

describe.runIf(hasOpenssl())("tlsSocketOptions with PEM files", () => {
  let directory = "";
  let certificates: TestCertificates;
  const file = (name: string, content: string): string => {
    const filePath = path.join(directory, name);
    writeFileSync(filePath, content);
    return filePath;
  };
  beforeAll(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), "ht-tls-unit-"));
    certificates = makeTestCertificates(directory);
  });
  afterAll(() => {
    if (directory !== "") rmSync(directory, { recursive: true, force: true });
  });

  it("reads the CA bundle and the client certificate and key", () => {
    const options = tlsSocketOptions(url, {
      PBKV_TLS_CA: certificates.caFile,
      PBKV_TLS_CERT: certificates.clientCertFile,
      PBKV_TLS_KEY: certificates.clientKeyFile,
    });
    expect(options.rejectUnauthorized).toBe(true);
    expect(options.ca?.toString()).toContain("-----BEGIN CERTIFICATE-----");
    expect(options.cert?.toString()).toContain("-----BEGIN CERTIFICATE-----");
    expect(options.key?.toString()).toContain("PRIVATE KEY-----");
  });

  it("refuses a CA file with no certificate in it, or a broken one (Node would skip it silently)", () => {
    const keyAsCa = () => tlsSocketOptions(url, { PBKV_TLS_CA: certificates.clientKeyFile });
    expect(keyAsCa).toThrow(`PBKV_TLS_CA=${certificates.clientKeyFile}: no PEM certificate in it`);
    const broken = file("broken.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    expect(() => tlsSocketOptions(url, { PBKV_TLS_CA: broken })).toThrow(
      `PBKV_TLS_CA=${broken}: certificate 1 of 1 does not parse`,
    );
  });

  it("refuses an encrypted key by name (there is no passphrase to give it)", () => {
    const encrypted = file(
      "encrypted.key",
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    const settings = { PBKV_TLS_CERT: certificates.clientCertFile, PBKV_TLS_KEY: encrypted };
    expect(() => tlsSocketOptions(url, settings)).toThrow(`PBKV_TLS_KEY=${encrypted}: the key is encrypted`);
  });

  it("refuses a key that is not the client certificate's", () => {
    const mismatched = () =>
      tlsSocketOptions(url, {
        PBKV_TLS_CERT: certificates.clientCertFile,
        PBKV_TLS_KEY: certificates.serverKeyFile,
      });
    expect(mismatched).toThrow(
      /PBKV_TLS_CERT and PBKV_TLS_KEY: not a usable certificate and key \(.*mismatch/,
    );
  });
});
