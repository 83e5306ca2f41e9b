/**
 * JSON Schemas of playbooks, plays, tasks, blocks and roles. They are checked
 * with ajv before any host is touched, and shipped as schemas/*.json for
 * editors (yaml-language-server). A task's module key is not a keyword, so
 * the task schema allows other keys and the loader checks there is exactly
 * one and that it names a known module; module arguments have their own
 * schemas (engine/modules).
 */

const stringOrList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const boolish = { anyOf: [{ type: 'boolean' }, { type: 'string' }] };
const condition = { anyOf: [{ type: 'boolean' }, { type: 'string' }, { type: 'array', items: { anyOf: [{ type: 'boolean' }, { type: 'string' }] } }] };
// Ansible refuses a play, block, task or role `vars:` key that is not an identifier ("not a valid variable name").
// A list of mappings (which Ansible also accepts) is merged into one mapping before this check.
const vars = { type: ['object', 'null'], description: 'Variables', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } };
const intish = { anyOf: [{ type: 'integer' }, { type: 'string' }] };

/** Keywords shared by plays, blocks and tasks (Ansible's Base/Conditional/Taggable/Become). */
const common = {
  name: { type: ['string', 'number', 'null'], description: 'Shown in the output' },
  become: boolish,
  become_user: { type: 'string' },
  become_method: { type: 'string' },
  become_exe: { type: 'string' },
  become_flags: { type: 'string' },
  check_mode: boolish,
  diff: boolish,
  environment: { anyOf: [{ type: 'object' }, { type: 'string' }, { type: 'array' }] },
  ignore_errors: boolish,
  ignore_unreachable: boolish,
  no_log: boolish,
  any_errors_fatal: boolish,
  run_once: boolish,
  tags: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: ['string', 'number'] } }] },
  vars,
  when: condition,
  delegate_to: { type: 'string' },
  delegate_facts: boolish,
  timeout: intish,
  collections: { type: 'array' },
  debugger: { type: 'string' },
  throttle: intish,
  module_defaults: { type: ['object', 'array'], items: { type: 'object' } },
  connection: { type: 'string' },
  remote_user: { type: 'string' },
  port: intish,
};

export const taskKeywords = {
  ...common,
  action: { anyOf: [{ type: 'string' }, { type: 'object' }] },
  local_action: { anyOf: [{ type: 'string' }, { type: 'object' }] },
  args: { anyOf: [{ type: 'object' }, { type: 'string' }] },
  register: { type: ['string', 'number'] },
  notify: stringOrList,
  listen: stringOrList,
  changed_when: condition,
  failed_when: condition,
  until: condition,
  retries: intish,
  delay: { anyOf: [{ type: 'number' }, { type: 'string' }] },
  async: intish,
  poll: intish,
  loop: { anyOf: [{ type: 'array' }, { type: 'string' }] },
  loop_control: {
    anyOf: [
      {
        type: 'object',
        additionalProperties: false,
        properties: {
          loop_var: { type: 'string' },
          index_var: { type: 'string' },
          label: {},
          pause: { anyOf: [{ type: 'number' }, { type: 'string' }] },
          extended: boolish,
          extended_allitems: boolish,
        },
      },
      { type: 'string' },
    ],
  },
  with_items: { anyOf: [{ type: 'array' }, { type: 'string' }] },
  with_list: { anyOf: [{ type: 'array' }, { type: 'string' }] },
  with_dict: { anyOf: [{ type: 'object' }, { type: 'string' }] },
  with_indexed_items: { anyOf: [{ type: 'array' }, { type: 'string' }] },
  with_sequence: { type: 'string' },
  with_fileglob: { anyOf: [{ type: 'array' }, { type: 'string' }] },
};

/** The keywords of one task, checked apart from its module's arguments. One object, so it is compiled once. */
export const taskKeywordsSchema = { type: 'object', properties: taskKeywords };

export const blockKeywords = {
  ...common,
  block: { type: 'array' },
  rescue: { type: 'array' },
  always: { type: 'array' },
  notify: stringOrList,
};

export const taskSchema = {
  $id: 'uxsv:task',
  type: 'object',
  description: 'A task: one module key plus keywords',
  properties: taskKeywords,
};

export const blockSchema = {
  $id: 'uxsv:block',
  type: 'object',
  properties: blockKeywords,
  required: ['block'],
  additionalProperties: false,
};

export const roleRefSchema = {
  anyOf: [
    { type: 'string' },
    {
      type: 'object',
      properties: { role: { type: 'string' }, ...common },
      description: 'A role with parameters: extra keys are role params',
    },
  ],
};

export const playKeywords = {
  ...common,
  hosts: stringOrList,
  gather_facts: boolish,
  gather_subset: stringOrList,
  vars_files: { type: 'array', items: stringOrList },
  vars_prompt: { type: 'array' },
  roles: { type: 'array', items: roleRefSchema },
  pre_tasks: { type: 'array' },
  tasks: { type: 'array' },
  post_tasks: { type: 'array' },
  handlers: { type: 'array' },
  serial: { anyOf: [{ type: 'integer' }, { type: 'string' }, { type: 'array' }] },
  max_fail_percentage: { anyOf: [{ type: 'number' }, { type: 'string' }] },
  strategy: { type: 'string', description: 'linear (default) or free' },
  order: { anyOf: [{ enum: ['inventory', 'sorted', 'reverse_inventory', 'reverse_sorted', 'shuffle'] }, { type: 'string', pattern: '\\{\\{' }] },
  force_handlers: boolish,
  fact_path: { type: 'string' },
  user: { type: 'string' },
};

export const playSchema = {
  $id: 'uxsv:play',
  type: 'object',
  properties: playKeywords,
  required: ['hosts'],
  additionalProperties: false,
};

export const importPlaybookSchema = {
  type: 'object',
  properties: {
    import_playbook: { type: 'string' },
    'ansible.builtin.import_playbook': { type: 'string' },
    include: { type: 'string' },
    'ansible.builtin.include': { type: 'string' },
    name: { type: 'string' },
    vars,
    when: condition,
    tags: common.tags,
  },
  additionalProperties: false,
};

export const roleMetaSchema = {
  $id: 'uxsv:role-meta',
  type: ['object', 'null'],
  properties: {
    galaxy_info: { type: 'object' },
    dependencies: { type: 'array', items: roleRefSchema },
    allow_duplicates: { type: 'boolean' },
    argument_specs: { type: 'object' },
    collections: { type: 'array' },
  },
  additionalProperties: false,
};

export const varsFileSchema = {
  $id: 'uxsv:vars-file',
  type: ['object', 'null'],
  description: 'A vars file: a mapping of variable names to values',
  propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
};

/** The playbook schema for editors: a list of plays / import_playbook entries, tasks described loosely. */
export function playbookSchemaForEditors(moduleNames: string[]): object {
  const taskRef = { $ref: '#/definitions/taskOrBlock' };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://uxsv.invalid/schemas/playbook.schema.json',
    title: 'uxsv / Ansible playbook',
    type: 'array',
    items: { anyOf: [{ $ref: '#/definitions/play' }, importPlaybookSchema] },
    definitions: {
      play: {
        ...playSchema,
        $id: undefined,
        properties: { ...playKeywords, pre_tasks: { type: 'array', items: taskRef }, tasks: { type: 'array', items: taskRef }, post_tasks: { type: 'array', items: taskRef }, handlers: { type: 'array', items: taskRef } },
      },
      taskOrBlock: {
        type: 'object',
        properties: {
          ...taskKeywords,
          ...blockKeywords,
          block: { type: 'array', items: taskRef },
          rescue: { type: 'array', items: taskRef },
          always: { type: 'array', items: taskRef },
          ...Object.fromEntries(moduleNames.map((m) => [m, { description: `module ${m}` }])),
        },
      },
    },
  };
}
