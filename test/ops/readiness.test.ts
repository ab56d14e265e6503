// /readyz answers 200 while every readiness check passes and 503, naming the failing dependency, once one
// fails. The database check here is the real pingDatabase on a real database that is then closed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { buildApp } from '../../src/http/app.js';
import { pingDatabase } from '../../src/repositories/db/database.js';
import { forEachDatabase } from '../helpers/databases.js';
import { startTestServer } from '../helpers/server.js';

forEachDatabase((target) => {
  describe(`readiness on ${target.dialect}`, { skip: target.skipReason ?? false }, () => {
    it('200 while the database answers, 503 naming it once it does not', async () => {
      const t = await startTestServer({ target });
      const database = await target.create();
      const app = await buildApp({
        config: t.config,
        services: t.server.services,
        logger: pino({ level: 'silent' }),
        readiness: { database: () => pingDatabase(database.db) },
      });
      try {
        const up = await app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(up.statusCode, 200);
        assert.deepEqual(up.json(), { status: 'ok', database: 'ok' });
        await database.close();
        const down = await app.inject({ method: 'GET', url: '/readyz' });
        assert.equal(down.statusCode, 503);
        assert.deepEqual(down.json(), { status: 'unavailable', database: 'unreachable' });
      } finally {
        await app.close();
        await t.close();
      }
    });
  });
});
