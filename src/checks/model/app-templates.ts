import * as fs from 'fs';
import * as path from 'path';
import { CfnElement, NestedStack, Stack, Stage, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One synthesized template of the app, with where it sits. */
export interface StackTemplate {
  /** Unique key of the stack in the app (its template's absolute path). */
  readonly key: string;
  /** Construct path of the stack. */
  readonly path: string;
  /** CloudFormation stack name (for nested stacks, the construct path). */
  readonly name: string;
  readonly templatePath: string;
  /** Template of the top-level stack that deploys this one (itself, unless nested): what the CDK hands to validation plugins. */
  readonly deployedWith: string;
  /** Literal account or `unknown`. */
  readonly account: string;
  /** Literal region or `unknown`. */
  readonly region: string;
  readonly template: any;
  /** For a nested stack: its parent's key and the logical id of the `AWS::CloudFormation::Stack` resource. */
  readonly parent?: { readonly key: string; readonly logicalId: string };
  /** Construct path by logical id, from the construct tree, for templates written without `aws:cdk:path` metadata. */
  readonly constructPaths?: Map<string, string>;
}

/**
 * Reads the synthesized template of every stack in the app (all stages,
 * nested stacks included). The construct tree only says where the templates
 * are; everything the analysis knows comes from the templates themselves.
 *
 * @throws if a template has not been written yet (synthesize the app first).
 */
export function loadAppTemplates(root: IConstruct): StackTemplate[] {
  const stacks = root.node.findAll().filter(Stack.isStack);
  return stacks.map(stack => {
    const templatePath = templatePathOf(stack);
    if (!fs.existsSync(templatePath)) {
      throw new Error(`The template of stack '${stack.node.path}' is not at '${templatePath}': synthesize the app before analysing it (app.synth()).`);
    }
    const nested = NestedStack.isNestedStack(stack) ? stack : undefined;
    const parentStack = nested?.nestedStackParent;
    const template = JSON.parse(fs.readFileSync(templatePath, 'utf-8'));
    return {
      key: templatePath,
      path: stack.node.path,
      name: nested ? stack.node.path : stack.stackName,
      templatePath,
      deployedWith: templatePathOf(topLevelOf(stack)),
      account: literal(stack.account),
      region: literal(stack.region),
      template,
      constructPaths: hasPathMetadata(template) ? undefined : constructPathsOf(stack),
      parent: nested && parentStack && nested.nestedStackResource
        ? { key: templatePathOf(parentStack), logicalId: parentStack.getLogicalId(nested.nestedStackResource) }
        : undefined,
    };
  });
}

function topLevelOf(stack: Stack): Stack {
  let top: Stack = stack;
  while (NestedStack.isNestedStack(top) && top.nestedStackParent) top = top.nestedStackParent;
  return top;
}

/** Absolute path of a stack's synthesized template. */
export function templatePathOf(stack: Stack): string {
  // Nested stacks are written into the outdir of their top-level stack's stage.
  const top = topLevelOf(stack);
  const stage = Stage.of(top);
  if (!stage) throw new Error(`Stack '${stack.node.path}' is not inside a Stage or App`);
  return path.resolve(stage.outdir, stack.templateFile);
}

function literal(x: string): string {
  return Token.isUnresolved(x) ? 'unknown' : x;
}

function hasPathMetadata(template: any): boolean {
  return Object.values<any>(template.Resources ?? {}).every(r => typeof r?.Metadata?.['aws:cdk:path'] === 'string');
}

/** The construct path of each of a stack's own CloudFormation elements (the CLI writes them as metadata; tests often do not). */
function constructPathsOf(stack: Stack): Map<string, string> {
  const paths = new Map<string, string>();
  const visit = (node: IConstruct) => {
    for (const child of node.node.children) {
      if (Stack.isStack(child)) continue;
      if (CfnElement.isCfnElement(child)) paths.set(stack.resolve(child.logicalId), child.node.path);
      visit(child);
    }
  };
  visit(stack);
  return paths;
}
