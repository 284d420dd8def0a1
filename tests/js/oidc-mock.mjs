// A real OpenID Connect provider for Gatehouse's OIDC tests
// (crates/server/tests/it/oidc.rs): oauth2-mock-server on 127.0.0.1, a free
// port. It serves discovery, JWKS, /authorize (answers at once with a code,
// keeping the nonce and the PKCE challenge) and /token (verifies the PKCE
// verifier; signs the ID token with its RS256 key).
//
// The test shapes what it signs through stdin, one JSON object a line,
// each answered by a line `ok`:
//   {"profile": {...}}   claims added to every ID token from now on (sub,
//                        preferred_username, email, name, groups, …)
//   {"tamper": "<how>"}  the next ID token only: `expired`, `wrong_audience`,
//                        `wrong_nonce`, `wrong_issuer`, `bad_signature`,
//                        `alg_none`, `unknown_kid`
// The first line on stdout is {"issuer": "<url>"}.
import { createInterface } from 'node:readline';
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
await server.start(0, '127.0.0.1');
const issuer = `http://127.0.0.1:${server.address().port}`;
server.issuer.url = issuer;

let profile = {};
let tamper = null;

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

server.service.on('beforeTokenSigning', (token) => {
  // The ID token is the one with an audience (the client id).
  if (!('aud' in token.payload)) return;
  Object.assign(token.payload, profile);
  const now = Math.floor(Date.now() / 1000);
  switch (tamper) {
    case 'expired':
      Object.assign(token.payload, { iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
      break;
    case 'wrong_audience':
      token.payload.aud = 'someone-else';
      break;
    case 'wrong_nonce':
      token.payload.nonce = 'not-the-nonce-that-was-sent';
      break;
    case 'wrong_issuer':
      token.payload.iss = 'http://127.0.0.1:1';
      break;
    case 'unknown_kid':
      // Still signed by the provider's key, but naming one its JWKS lacks.
      token.header.kid = 'a-key-not-in-the-jwks';
      break;
    default:
      break;
  }
});

// Synchronous: the mock sends the answer as soon as the event returns.
server.service.on('beforeResponse', (response) => {
  const idToken = response.body && response.body.id_token;
  if (!idToken) return;
  const how = tamper;
  tamper = null;
  const [header, payload, signature] = idToken.split('.');
  switch (how) {
    case 'bad_signature': {
      // Another token's signature: well-formed, and wrong.
      const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
      response.body.id_token = `${header}.${payload}.${flipped}`;
      break;
    }
    case 'alg_none':
      response.body.id_token = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
      break;
    default:
      break;
  }
});

console.log(JSON.stringify({ issuer }));

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line);
  if ('profile' in command) profile = command.profile;
  if ('tamper' in command) tamper = command.tamper;
  console.log('ok');
});
lines.on('close', async () => {
  await server.stop();
  process.exit(0);
});
