// Fails when src/api/schema.d.ts differs from a fresh generation from ../openapi/openapi.json,
// or when code in src/ calls the API or types its answers around the generated schema, or when
// an operation of the spec is called by no screen and not listed in api-coverage.json.
import { execFileSync } from 'node:child_process'
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findUntyped } from './untyped-api.mjs'
import { checkRoot, report } from './api-coverage.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dir = mkdtempSync(join(tmpdir(), 'xiaoan-api-'))
const fresh = join(dir, 'schema.d.ts')
try {
  execFileSync(join(root, 'node_modules/.bin/openapi-typescript'), ['../openapi/openapi.json', '-o', fresh], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const committed = readFileSync(join(root, 'src/api/schema.d.ts'), 'utf8')
  if (committed !== readFileSync(fresh, 'utf8')) {
    console.error('src/api/schema.d.ts is stale: run `npm run gen:api` and commit it.')
    process.exit(1)
  }
  console.log('src/api/schema.d.ts matches ../openapi/openapi.json')
  const untyped = findUntyped(root)
  if (untyped.length) {
    console.error(untyped.join('\n'))
    process.exit(1)
  }
  console.log('every API call in src/ goes through the typed client')
  const coverage = checkRoot(root)
  if (!coverage.ok) {
    console.error(report(coverage))
    process.exit(1)
  }
  console.log(report(coverage))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
