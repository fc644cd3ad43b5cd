// Real OPC UA servers (node-opcua) for t_scan.sh, on 127.0.0.1 only.
//   node server.js PORT_A PORT_B DIR
// A: its own self-signed application certificate, made by node-opcua in
//    DIR/a/pki, ApplicationUri urn:plantca-test:a, SecurityPolicy None,
//    Basic256Sha256, Basic256 and Basic128Rsa15 offered.
// B: the certificate DIR/b/pki/own/certs/certificate.pem put there by the
//    test (its URI SAN is not B's ApplicationUri urn:plantca-test:b),
//    Basic256Sha256 only.
// Prints "ready" when both listen; stops on SIGTERM or after 10 minutes.
const path = require("path");
const { OPCUAServer } = require("node-opcua-server");
const { OPCUACertificateManager } = require("node-opcua-certificate-manager");
const { SecurityPolicy, MessageSecurityMode } = require("node-opcua-secure-channel");

async function start(port, root, uri, policies, modes) {
  const cm = new OPCUACertificateManager({ rootFolder: path.join(root, "pki"),
    automaticallyAcceptUnknownCertificate: true });
  await cm.initialize();
  const server = new OPCUAServer({
    port, hostname: "127.0.0.1", serverCertificateManager: cm,
    securityPolicies: policies, securityModes: modes,
    serverInfo: { applicationUri: uri }, alternateHostname: [],
  });
  await server.initialize();
  await server.start();
  return server;
}

(async () => {
  const [pa, pb, dir] = process.argv.slice(2);
  const a = await start(parseInt(pa), path.join(dir, "a"), "urn:plantca-test:a",
    [SecurityPolicy.None, SecurityPolicy.Basic256Sha256, SecurityPolicy.Basic256,
     SecurityPolicy.Basic128Rsa15],
    [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt]);
  const b = await start(parseInt(pb), path.join(dir, "b"), "urn:plantca-test:b",
    [SecurityPolicy.Basic256Sha256], [MessageSecurityMode.SignAndEncrypt]);
  console.log("ready");
  const stop = async () => { await a.shutdown(0); await b.shutdown(0); process.exit(0); };
  process.on("SIGTERM", stop);
  setTimeout(stop, 600000);
})().catch((e) => { console.error(e); process.exit(1); });
