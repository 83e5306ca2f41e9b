# Records what ansible-playbook reports as uxsv's output events (engine/output/events.ts),
# one JSON document per run, so the reporter can be fed the very event stream whose
# printed form ansible-playbook's default callback produced in the same run.
# Test tooling only: used by generate.sh to make the fixtures, never at test time.
import inspect
import json
import os

from ansible import context
from ansible.playbook.handler import Handler
from ansible.plugins.callback import CallbackBase
from ansible.utils.display import Display

DOCUMENTATION = '''
    name: uxsv_events
    type: notification
    short_description: records the run as uxsv output events
    description: Writes the events to the file named by UXSV_EVENTS_FILE.
'''

_events = []
_started = [False]
_task_ids = {}


def _task_id(task):
    return _task_ids.setdefault(task._uuid, len(_task_ids) + 1)


def _called_from(name):
    return any(frame.function == name for frame in inspect.stack()[2:8])


def _patch_display():
    original_warning = Display.warning
    original_deprecated = Display.deprecated
    original_verbose = Display.verbose

    def warning(self, msg, formatted=False):
        # Warnings a result carries are in its event already.
        if not _called_from('_handle_warnings'):
            _events.append({'type': 'warning', 'message': msg})
        return original_warning(self, msg, formatted)

    def deprecated(self, msg, version=None, removed=False, date=None, collection_name=None):
        if not _called_from('_handle_warnings'):
            event = {'type': 'deprecation', 'message': msg}
            if version:
                event['version'] = version
            if date:
                event['date'] = date
            if collection_name:
                event['collectionName'] = collection_name
            _events.append(event)
        return original_deprecated(self, msg, version, removed, date, collection_name)

    def verbose(self, msg, host=None, caplevel=2):
        # Before the playbook starts these are the command's own (config, callbacks loaded).
        if not _started[0]:
            return original_verbose(self, msg, host, caplevel)
        event = {'type': 'verbose', 'level': caplevel + 1, 'message': msg}
        if host is not None:
            event['host'] = host
        _events.append(event)
        return original_verbose(self, msg, host, caplevel)

    Display.warning = warning
    Display.deprecated = deprecated
    Display.verbose = verbose


_patch_display()


def _stats():
    """The run's stats object, from the task queue manager that is sending the callback."""
    for frame in inspect.stack():
        owner = frame.frame.f_locals.get('self')
        if owner is not None and hasattr(owner, '_stats') and hasattr(owner, '_callback_plugins'):
            return owner._stats
    return None


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'notification'
    CALLBACK_NAME = 'uxsv_events'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._open_task = None
        self._open_play = None
        self._rescued_seen = {}

    def _emit(self, event):
        _events.append(event)

    def _end_task(self):
        if self._open_task is not None:
            self._emit({'type': 'task_end', 'id': self._open_task[0], 'name': self._open_task[1]})
            self._open_task = None

    def v2_playbook_on_start(self, playbook):
        _started[0] = True
        self._emit({'type': 'playbook_start', 'file': playbook._file_name, 'check': bool(context.CLIARGS.get('check'))})

    def _end_play(self):
        self._end_task()
        if self._open_play is not None:
            self._emit({'type': 'play_end', 'name': self._open_play})
            self._open_play = None

    def v2_playbook_on_play_start(self, play):
        self._end_play()
        self._open_play = play.get_name().strip()
        self._play = play
        try:
            hosts = [h.name for h in play.get_variable_manager()._inventory.get_hosts(play.hosts)]
        except Exception:
            hosts = []
        self._emit({'type': 'play_start', 'name': play.get_name().strip(), 'hosts': hosts, 'check': bool(play.check_mode),
                    'strategy': play.strategy})

    def _task_start(self, task, handler):
        self._end_task()
        role = task._role.get_name() if task._role else None
        name = (task.name or task.action).strip()
        event = {
            'type': 'task_start', 'id': _task_id(task), 'name': name, 'location': task.get_path() or '',
            'hosts': [], 'handler': handler, 'action': task.action, 'check': bool(task.check_mode), 'diff': bool(task.diff),
            'args': dict(task.args), 'noLog': bool(task.no_log),
        }
        if role:
            event['role'] = role
        self._emit(event)
        self._open_task = (event['id'], name)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start(task, isinstance(task, Handler))

    def v2_playbook_on_handler_task_start(self, task):
        self._task_start(task, True)

    def _result_event(self, result, status, item=False):
        data = dict(result._result)
        no_log = 'censored' in data
        if status in ('failed', 'ignored', 'rescued') and not data.get('unreachable'):
            data['failed'] = True
        if status == 'skipped':
            data['skipped'] = True
        event = {
            'type': 'host_result', 'taskId': _task_id(result._task), 'task': (result._task.name or result._task.action),
            'host': result._host.get_name(), 'status': status, 'result': data, 'durationMs': 0, 'noLog': no_log,
        }
        if item:
            event['item'] = None if no_log else data.get('_ansible_item_label', data.get('item'))
        delegate = result._task.delegate_to
        if delegate and delegate != result._host.get_name():
            event['delegatedTo'] = delegate
        self._emit(event)

    def _failure_status(self, result, ignore_errors):
        if ignore_errors:
            return 'ignored'
        stats = _stats()
        host = result._host.get_name()
        if stats is not None:
            rescued = stats.rescued.get(host, 0)
            if rescued > self._rescued_seen.get(host, 0):
                self._rescued_seen[host] = rescued
                return 'rescued'
        return 'failed'

    def v2_runner_on_ok(self, result):
        self._result_event(result, 'changed' if result._result.get('changed') else 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result_event(result, self._failure_status(result, ignore_errors))

    def v2_runner_on_skipped(self, result):
        self._result_event(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._result_event(result, 'ignored' if result._task.ignore_unreachable else 'unreachable')

    def v2_runner_item_on_ok(self, result):
        self._result_event(result, 'changed' if result._result.get('changed') else 'ok', item=True)

    def v2_runner_item_on_failed(self, result):
        self._result_event(result, 'failed', item=True)

    def v2_runner_item_on_skipped(self, result):
        self._result_event(result, 'skipped', item=True)

    def v2_runner_retry(self, result):
        data = dict(result._result)
        event = {
            'type': 'retry', 'taskId': _task_id(result._task), 'task': result.task_name or result._task.get_name(),
            'host': result._host.get_name(), 'attempt': data.get('attempts'), 'retriesLeft': data.get('retries', 0) - data.get('attempts', 0),
            'result': data, 'noLog': 'censored' in data,
        }
        delegate = result._task.delegate_to
        if delegate and delegate != result._host.get_name():
            event['delegatedTo'] = delegate
        self._emit(event)

    def _async(self, result, state):
        data = result._result
        jid = data.get('ansible_job_id')
        if not jid and state == 'failed' and 'async_result' in data:
            jid = data['async_result'].get('ansible_job_id')
        event = {'type': 'async', 'state': state, 'taskId': _task_id(result._task), 'host': result._host.get_name(), 'jid': jid}
        if state == 'poll':
            event['started'] = data.get('started')
            event['finished'] = data.get('finished')
        self._emit(event)

    def v2_runner_on_async_poll(self, result):
        self._async(result, 'poll')

    def v2_runner_on_async_ok(self, result):
        self._async(result, 'ok')

    def v2_runner_on_async_failed(self, result):
        self._async(result, 'failed')

    def v2_playbook_on_include(self, included_file):
        event = {'type': 'include', 'taskId': _task_id(included_file._task), 'file': included_file._filename,
                 'hosts': [h.name for h in included_file._hosts]}
        label = included_file._vars.get('_ansible_item_label', included_file._vars.get('item'))
        if label is not None:
            event['item'] = label
        self._emit(event)

    def v2_playbook_on_notify(self, handler, host):
        self._emit({'type': 'handler_notified', 'handler': handler.get_name(), 'host': host.get_name()})

    def v2_playbook_on_no_hosts_matched(self):
        self._emit({'type': 'no_hosts_matched', 'pattern': ','.join(getattr(self, '_play', None).hosts or [])})

    def v2_playbook_on_no_hosts_remaining(self):
        self._emit({'type': 'no_hosts_remaining'})

    def v2_playbook_on_stats(self, stats):
        self._end_play()
        recap = {}
        for host in sorted(stats.processed.keys()):
            s = stats.summarize(host)
            recap[host] = {'ok': s['ok'], 'changed': s['changed'], 'unreachable': s['unreachable'], 'failed': s['failures'],
                           'skipped': s['skipped'], 'rescued': s['rescued'], 'ignored': s['ignored']}
        event = {'type': 'recap', 'stats': recap, 'durationMs': 0}
        if stats.custom:
            event['custom'] = stats.custom
        self._emit(event)
        with open(os.environ['UXSV_EVENTS_FILE'], 'w') as out:
            json.dump(_events, out, indent=1, default=str, ensure_ascii=False)
            out.write('\n')
