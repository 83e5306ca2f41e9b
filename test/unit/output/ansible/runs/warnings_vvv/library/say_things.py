#!/usr/bin/python
# A test module: returns the warnings and deprecations it is given.
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        warnings=dict(type='list', elements='str', default=[]),
        deprecations=dict(type='list', elements='dict', default=[]),
        fail=dict(type='bool', default=False),
        crash=dict(type='bool', default=False),
    ))
    for text in module.params['warnings']:
        module.warn(text)
    for d in module.params['deprecations']:
        module.deprecate(d['msg'], version=d.get('version'), date=d.get('date'), collection_name=d.get('collection_name'))
    if module.params['crash']:
        raise ValueError('the module broke\nsecond line of the error')
    if module.params['fail']:
        module.fail_json(msg='told to fail')
    module.exit_json(changed=False)


if __name__ == '__main__':
    main()
