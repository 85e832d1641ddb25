// Validates .circleci/config.yml with CircleCI's own JSON schemas, as shipped by its config parser package
// (@circleci/circleci-config-parser, installed outside the project by .ci/steps/25-static-checks.sh):
// the whole file against the Config schema, then each job and workflow against theirs. The package is
// an alpha: its schemas cover the keys this file uses, not every feature CircleCI accepts.
// Usage: node .ci/check-circleci-config.mjs PARSER_PREFIX CONFIG_FILE
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';

const [prefix, file] = process.argv.slice(2);
const require = createRequire(join(prefix, 'node_modules', 'x.js'));
const { Validator } = require('@circleci/circleci-config-parser');
const { mapping } = require('@circleci/circleci-config-sdk');
const { parse } = require('yaml');

const config = parse(readFileSync(file, 'utf8'));
const problems = [];
const validate = (type, value, where) => {
  const result = Validator.validateGenerable(type, value);
  if (result !== true) {
    for (const error of result.errors ?? [])
      problems.push(`${where}${error.instancePath}: ${error.message} ${JSON.stringify(error.params)}`);
  }
};

if (config.version !== 2.1) problems.push(`version: ${config.version}, expected 2.1`);
validate(mapping.GenerableType.CONFIG, config, 'config');
// The schema lets any step name through (it could be an orb's or a reusable command): here, a step is
// one of CircleCI's own or a command this file defines.
const NATIVE_STEPS = new Set([
  'checkout',
  'run',
  'when',
  'unless',
  'restore_cache',
  'save_cache',
  'add_ssh_keys',
  'setup_remote_docker',
  'persist_to_workspace',
  'attach_workspace',
  'store_artifacts',
  'store_test_results',
]);
const checkSteps = (steps, where) => {
  for (const step of steps ?? []) {
    const name = typeof step === 'string' ? step : Object.keys(step)[0];
    if (!NATIVE_STEPS.has(name) && !config.commands?.[name]) problems.push(`${where}: unknown step ${name}`);
    if (name === 'when' || name === 'unless') checkSteps(step[name].steps, `${where}.${name}`);
  }
};
for (const [name, job] of Object.entries(config.jobs ?? {})) {
  validate(mapping.GenerableType.JOB, job, `jobs.${name}`);
  checkSteps(job.steps, `jobs.${name}`);
  if (job.executor && !config.executors?.[job.executor])
    problems.push(`jobs.${name}: no executor ${job.executor}`);
}
for (const [name, executor] of Object.entries(config.executors ?? {}))
  validate(mapping.GenerableType.ANY_EXECUTOR, executor, `executors.${name}`);
for (const [name, workflow] of Object.entries(config.workflows ?? {})) {
  validate(mapping.GenerableType.WORKFLOW, workflow, `workflows.${name}`);
  for (const entry of workflow.jobs ?? []) {
    const [job, options] = typeof entry === 'string' ? [entry, {}] : Object.entries(entry)[0];
    if (!config.jobs?.[job]) problems.push(`workflows.${name}: no job ${job}`);
    for (const required of options.requires ?? [])
      if (!workflow.jobs.some((e) => (typeof e === 'string' ? e : Object.keys(e)[0]) === required))
        problems.push(`workflows.${name}.${job}: requires ${required}, which is not in the workflow`);
  }
}

if (problems.length > 0) {
  process.stderr.write(`${file}:\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`${file}: valid against CircleCI's config, job, executor and workflow schemas\n`);
