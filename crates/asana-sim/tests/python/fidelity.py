"""Drive asana-sim with Asana's official Python SDK and validate every answer against the
response schemas of Asana's OpenAPI spec.

Started by tests/python_sdk_fidelity.rs, which passes (as environment variables):
  ASANA_SIM_BASE_URL     http://127.0.0.1:PORT/api/1.0
  ASANA_SIM_CONTROL_URL  http://127.0.0.1:PORT/_sim
  ASANA_SIM_SPEC         path to asana_oas.yaml
  ASANA_SIM_QUIRKS       JSON object of named gids of the quirks tenant

Exits non-zero, listing every problem, if a body does not match its schema, a listing is
incomplete, a write has no effect, or no 429 was retried by the SDK.
"""

import json
import os
import re
import sys
import threading
import time
import traceback
import urllib.request

import asana
import jsonschema
import yaml
from asana.rest import ApiException, RESTClientObject

BASE_URL = os.environ["ASANA_SIM_BASE_URL"]
CONTROL_URL = os.environ["ASANA_SIM_CONTROL_URL"]
SPEC_PATH = os.environ["ASANA_SIM_SPEC"]
Q = json.loads(os.environ["ASANA_SIM_QUIRKS"])

PROBLEMS = []


def problem(text):
    PROBLEMS.append(text)
    print("PROBLEM: " + text, flush=True)


def check(condition, text):
    if not condition:
        problem(text)
    return condition


# ---------------------------------------------------------------------------------------------
# Recording every HTTP exchange the SDK makes.

RECORDS = []


class Record:
    def __init__(self, method, url, query, status, body, headers, retry_statuses):
        self.method = method
        self.url = url
        self.query = query
        self.status = status
        self.body = body
        self.headers = headers
        self.retry_statuses = retry_statuses


_original_request = RESTClientObject.request


def _query_list(query_params):
    if not query_params:
        return []
    if isinstance(query_params, dict):
        return list(query_params.items())
    return list(query_params)


def recording_request(self, method, url, query_params=None, headers=None, body=None, post_params=None,
                      _preload_content=True, _request_timeout=None):
    query = _query_list(query_params)
    try:
        response = _original_request(self, method, url, query_params, headers, body, post_params,
                                     _preload_content, _request_timeout)
    except ApiException as error:
        RECORDS.append(Record(method, url, query, error.status, error.body, dict(error.headers or {}), []))
        raise
    retries = getattr(response.urllib3_response, "retries", None)
    history = [h.status for h in (retries.history if retries else ()) if h.status is not None]
    RECORDS.append(Record(method, url, query, response.status, response.data, dict(response.getheaders()), history))
    return response


RESTClientObject.request = recording_request


# ---------------------------------------------------------------------------------------------
# OpenAPI 3.0 → JSON Schema (draft 2020-12 subset), resolving $ref and merging allOf.

with open(SPEC_PATH, encoding="utf-8") as spec_file:
    SPEC = yaml.load(spec_file, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def resolve_ref(ref):
    node = SPEC
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def upgraded_ref(ref):
    """`...Compact` → `...Response` when the spec has one: with opt_fields a record may carry
    any field of the full resource, not only the compact ones."""
    name = ref.rsplit("/", 1)[-1]
    if name.endswith("Compact"):
        full = name[: -len("Compact")] + "Response"
        if full in SPEC["components"]["schemas"]:
            return "#/components/schemas/" + full
    return ref


def flatten(schema, upgrade=False):
    """Resolves $ref and merges allOf at this level (not inside properties)."""
    if upgrade and "$ref" in schema:
        schema = resolve_ref(upgraded_ref(schema["$ref"]))
    # Base chains inside allOf (XResponse → XBase → XCompact) are followed as written.
    while "$ref" in schema:
        schema = resolve_ref(schema["$ref"])
    if "allOf" not in schema:
        return schema
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    properties = dict(merged.get("properties", {}))
    required = list(merged.get("required", []))
    for part in schema["allOf"]:
        part = flatten(part)
        properties.update(part.get("properties", {}))
        required.extend(part.get("required", []))
        for key in ("type", "description"):
            if key in part and key not in merged:
                merged[key] = part[key]
        if part.get("nullable"):
            merged["nullable"] = True
    if properties:
        merged["properties"] = properties
        merged.setdefault("type", "object")
    if required:
        merged["required"] = sorted(set(required))
    return merged


def convert(schema, upgrade, depth=0):
    """Strict JSON Schema: objects with documented properties allow no other keys."""
    if depth > 40:
        return {}
    schema = flatten(schema, upgrade)
    out = {}
    kind = schema.get("type")
    if "properties" in schema or kind == "object":
        out["type"] = "object"
        out["properties"] = {name: convert(sub, upgrade, depth + 1)
                             for name, sub in schema.get("properties", {}).items()}
        if schema.get("required"):
            out["required"] = list(schema["required"])
        if "properties" in schema:
            out["additionalProperties"] = False
        elif isinstance(schema.get("additionalProperties"), dict):
            out["additionalProperties"] = convert(schema["additionalProperties"], upgrade, depth + 1)
    elif kind == "array":
        out["type"] = "array"
        if "items" in schema:
            out["items"] = convert(schema["items"], upgrade, depth + 1)
    elif kind:
        out["type"] = kind
    for key in ("enum", "minimum", "maximum", "pattern", "minLength", "maxLength", "minItems", "maxItems"):
        if key in schema:
            out[key] = schema[key]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            out[key] = [convert(s, upgrade, depth + 1) for s in schema[key]]
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
        if "oneOf" in out or "anyOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


class Operation:
    def __init__(self, method, template, spec):
        self.method = method.upper()
        self.template = template
        self.operation_id = spec.get("operationId")
        self.literal_segments = sum(1 for s in template.split("/") if s and not s.startswith("{"))
        self.regex = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")
        # YAML reads status keys as integers; normalise them to strings.
        self.responses = {str(code): response for code, response in spec.get("responses", {}).items()}
        self.opt_fields = None
        for parameter in spec.get("parameters", []):
            parameter = flatten(parameter)
            if parameter.get("name") == "opt_fields":
                items = parameter.get("schema", {}).get("items", {})
                self.opt_fields = set(items.get("enum", []))

    def response_schema(self, status):
        response = self.responses.get(str(status))
        if response is None:
            return None
        response = flatten(response)
        return response.get("content", {}).get("application/json", {}).get("schema")


OPERATIONS = [Operation(method, template, op)
              for template, item in SPEC["paths"].items()
              for method, op in item.items()
              if method in ("get", "post", "put", "delete", "patch")]


def find_operation(method, path):
    matches = [op for op in OPERATIONS if op.method == method and op.regex.match(path)]
    matches.sort(key=lambda op: -op.literal_segments)
    return matches[0] if matches else None


ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}
_validators = {}


def validator_for(key, schema, upgrade):
    cache_key = (key, upgrade)
    if cache_key not in _validators:
        _validators[cache_key] = jsonschema.Draft202012Validator(convert(schema, upgrade))
    return _validators[cache_key]


def has_ids_everywhere(value, where):
    """Every object that has a gid also has a resource_type, and gids are strings."""
    if isinstance(value, dict):
        if "gid" in value or "resource_type" in value:
            if not (isinstance(value.get("gid"), str) and isinstance(value.get("resource_type"), str)):
                problem(f"{where}: object without string gid/resource_type: {json.dumps(value)[:200]}")
        for key, sub in value.items():
            if key != "next_page":
                has_ids_everywhere(sub, where)
    elif isinstance(value, list):
        for sub in value:
            has_ids_everywhere(sub, where)


VALIDATED = {}
OUTSIDE_ENUM = set()


def validate_records():
    for record in RECORDS:
        path = record.url.split("?", 1)[0]
        if not path.startswith(BASE_URL):
            problem(f"request outside the API base: {record.url}")
            continue
        path = path[len(BASE_URL):]
        where = f"{record.method} {path} -> {record.status}"
        op = find_operation(record.method, path)
        if op is None:
            problem(f"{where}: no operation in the spec matches")
            continue
        try:
            text = record.body.decode("utf-8") if isinstance(record.body, bytes) else record.body
            body = json.loads(text)
        except Exception as error:  # noqa: BLE001 - any parse failure is a finding
            problem(f"{where}: body is not JSON: {error}")
            continue
        if 200 <= record.status < 300:
            schema = op.response_schema(record.status)
            if schema is None:
                problem(f"{where}: status not documented for {op.operation_id}")
                continue
            requested = set()
            for key, value in record.query:
                if key == "opt_fields":
                    requested.update(f.strip() for f in str(value).split(",") if f.strip())
            # Default shapes must match the documented (often compact) schema exactly; with
            # opt_fields every field must exist, with its type, in the full resource schema.
            upgrade = bool(requested)
            if op.opt_fields is not None:
                for field in sorted(requested - op.opt_fields):
                    OUTSIDE_ENUM.add((op.operation_id, field))
            has_ids_everywhere(body.get("data"), where)
        else:
            schema = op.response_schema(record.status) or ERROR_SCHEMA
            upgrade = False
            check(isinstance(body.get("errors"), list) and body["errors"]
                  and isinstance(body["errors"][0].get("message"), str), f"{where}: error without message")
            if record.status == 500:
                check(isinstance(body["errors"][0].get("phrase"), str), f"{where}: 500 without phrase")
        errors = sorted(validator_for((op.operation_id, record.status), schema, upgrade).iter_errors(body),
                        key=lambda e: list(e.path))
        for error in errors[:5]:
            problem(f"{where} ({op.operation_id}, opt_fields={upgrade}): {error.message} at {list(error.path)}")
        VALIDATED[op.operation_id] = VALIDATED.get(op.operation_id, 0) + 1


# ---------------------------------------------------------------------------------------------
# Talking to the simulator.

def control(method, path, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(CONTROL_URL + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


TOKENS = control("GET", "/tokens")


def client(role):
    configuration = asana.Configuration()
    configuration.host = BASE_URL
    configuration.access_token = TOKENS[role]
    return asana.ApiClient(configuration)


def gids(items):
    return [item["gid"] for item in items]


def is_gid_sorted(values):
    return all((len(a), a) < (len(b), b) for a, b in zip(values, values[1:]))


def expect_api_error(status, call, what):
    try:
        call()
    except ApiException as error:
        check(error.status == status, f"{what}: expected {status}, got {error.status}: {error.body!r}")
        return error
    problem(f"{what}: expected {status}, got success")
    return None


# ---------------------------------------------------------------------------------------------
# Scenarios.

def page_everything(role):
    api = client(role)
    users = asana.UsersApi(api)
    workspaces = asana.WorkspacesApi(api)
    workspace_memberships = asana.WorkspaceMembershipsApi(api)
    teams = asana.TeamsApi(api)
    team_memberships = asana.TeamMembershipsApi(api)
    truth = control("GET", f"/visible/{role}")
    org = Q["org"]

    me = users.get_user("me", {})
    check(me["gid"] == truth["token_owners"][role.replace("-", "_")], f"{role}: /users/me is the token owner")
    users.get_user("me", {"opt_fields": "name,email,photo,workspaces.name"})

    listed = gids(workspaces.get_workspaces({}))
    expected = sorted((w["gid"] for w in truth["workspaces"]), key=lambda g: (len(g), g))
    check(listed == expected, f"{role}: /workspaces {listed} != {expected}")
    for workspace in truth["workspaces"]:
        workspaces.get_workspace(workspace["gid"], {})
        workspaces.get_workspace(workspace["gid"], {"opt_fields": "name,is_organization,email_domains"})

    # Workspace memberships of every visible workspace, with the SDK's default page size and
    # with a small one.
    for workspace in truth["workspaces"]:
        wid = workspace["gid"]
        expected = {m["gid"] for m in truth["workspace_memberships"] if m["workspace_gid"] == wid}
        fields = "user.name,workspace.name,is_active,is_admin,is_guest,is_view_only,created_at"
        full = list(workspace_memberships.get_workspace_memberships_for_workspace(wid, {"opt_fields": fields}))
        check(set(gids(full)) == expected, f"{role}: memberships of {wid} incomplete")
        check(is_gid_sorted(gids(full)), f"{role}: memberships of {wid} not sorted by gid")
        small = list(workspace_memberships.get_workspace_memberships_for_workspace(wid, {"limit": 7}))
        check(gids(small) == gids(full), f"{role}: small pages of {wid} differ")
        # baton-style request with user.email (outside the spec's enum, accepted by Asana)
        list(workspace_memberships.get_workspace_memberships_for_workspace(
            wid, {"opt_fields": "user.name,user.email,is_active,is_admin,is_guest"}))
        users_in_ws = list(users.get_users({"workspace": wid, "opt_fields": "name,email"}))
        check(is_gid_sorted(gids(users_in_ws)), f"{role}: /users?workspace={wid} not sorted by gid")
        listed_alpha = list(users.get_users_for_workspace(wid, {}))
        check(set(gids(listed_alpha)) == set(gids(users_in_ws)),
              f"{role}: /workspaces/{wid}/users and /users?workspace disagree")
        for membership in full[:3]:
            workspace_memberships.get_workspace_membership(membership["gid"], {})

    mine = list(workspace_memberships.get_workspace_memberships_for_user("me", {"opt_fields": "workspace.name,is_admin,is_guest,is_active"}))
    check(len(mine) == sum(1 for m in truth["workspace_memberships"] if m["user_gid"] == me["gid"]),
          f"{role}: /users/me/workspace_memberships incomplete")

    if any(w["gid"] == org for w in truth["workspaces"]):
        expected_teams = {t["gid"] for t in truth["teams"] if t["organization_gid"] == org}
        fields = "name,description,visibility,organization.name,member_invite_management_access_level,team_member_removal_access_level"
        listed_teams = list(teams.get_teams_for_workspace(org, {"opt_fields": fields}))
        check(set(gids(listed_teams)) == expected_teams, f"{role}: teams of the organization incomplete")
        list(teams.get_teams_for_user("me", org, {}))
        list(team_memberships.get_team_memberships_for_user("me", org, {}))
        list(team_memberships.get_team_memberships({"user": me["gid"], "workspace": org}))
        for team in truth["teams"]:
            tid = team["gid"]
            teams.get_team(tid, {})
            expected_members = {m["gid"] for m in truth["team_memberships"] if m["team_gid"] == tid}
            fields = "user.name,team.name,is_admin,is_guest,is_limited_access"
            members = list(team_memberships.get_team_memberships_for_team(tid, {"opt_fields": fields}))
            check(set(gids(members)) == expected_members, f"{role}: members of team {tid} incomplete")
            by_filter = list(team_memberships.get_team_memberships({"team": tid, "limit": 13}))
            check(gids(by_filter) == gids(members), f"{role}: /team_memberships?team={tid} differs")
            team_users = list(users.get_users_for_team(tid, {}))
            check(len(team_users) == len(members), f"{role}: /teams/{tid}/users differs")
            if members:
                team_memberships.get_team_membership(members[0]["gid"], {})
        if any(t["gid"] == Q["big_team"] for t in truth["teams"]):
            big = list(users.get_users({"team": Q["big_team"], "limit": 50}))
            check(len(big) == Q["big_team_size"], f"{role}: /users?team=big has {len(big)} users")
    else:
        # Plain workspaces have no teams: a 400 the SDK raises.
        pass
    plain = Q["plain_workspace"]
    if any(w["gid"] == plain for w in truth["workspaces"]):
        expect_api_error(400, lambda: list(teams.get_teams_for_workspace(plain, {})), f"{role}: teams of a plain workspace")


def writes():
    admin = client("admin")
    workspaces = asana.WorkspacesApi(admin)
    teams = asana.TeamsApi(admin)
    team_memberships = asana.TeamMembershipsApi(admin)
    workspace_memberships = asana.WorkspaceMembershipsApi(admin)
    org, alpha = Q["org"], Q["alpha_team"]

    added = workspaces.add_user_for_workspace({"data": {"user": "sdk.person@quirks.example"}}, org, {})
    user = added["gid"]
    check(added.get("email") == "sdk.person@quirks.example", "workspace addUser returns the user")
    membership = teams.add_user_for_team({"data": {"user": user}}, alpha,
                                         {"opt_fields": "user.name,team.name,is_admin,is_guest,is_limited_access"})
    check(membership["user"]["gid"] == user and membership["team"]["gid"] == alpha, "team addUser shape")
    found = list(team_memberships.get_team_memberships({"team": alpha, "user": user}))
    check(gids(found) == [membership["gid"]], "team membership visible after addUser")
    check(teams.remove_user_for_team({"data": {"user": user}}, alpha) == {}, "team removeUser returns {}")
    check(list(team_memberships.get_team_memberships({"team": alpha, "user": user})) == [],
          "team membership gone after removeUser")
    check(workspaces.remove_user_for_workspace({"data": {"user": user}}, org) == {}, "workspace removeUser returns {}")
    states = [m["is_active"] for m in workspace_memberships.get_workspace_memberships_for_workspace(
        org, {"user": user, "opt_fields": "is_active"})]
    check(states == [False], f"removed user's membership is inactive: {states}")
    workspaces.add_user_for_workspace({"data": {"user": user}}, org, {"opt_fields": "name,email,photo"})
    states = [m["is_active"] for m in workspace_memberships.get_workspace_memberships_for_workspace(
        org, {"user": user, "opt_fields": "is_active,created_at"})]
    check(states == [False, True], f"re-added user has old inactive + new active membership: {states}")

    member = client("member")
    expect_api_error(403, lambda: asana.WorkspacesApi(member).remove_user_for_workspace(
        {"data": {"user": user}}, org), "member removeUser")
    expect_api_error(403, lambda: asana.TeamsApi(member).add_user_for_team(
        {"data": {"user": user}}, Q["restricted_team"], {}), "restricted team addUser by a plain member")
    expect_api_error(400, lambda: teams.add_user_for_team(
        {"data": {"user": Q["plain_only_user"]}}, alpha, {}), "team addUser outside the organization")
    expect_api_error(404, lambda: asana.TeamsApi(member).get_team(Q["secret_team_with_admin"], {}),
                     "secret team for a non-member")
    expect_api_error(400, lambda: list(asana.WorkspacesApi(admin).get_workspaces({"limit": 101})), "limit 101")


def rate_limits():
    # 1. The in-flight cap: one read at a time, each taking 800 ms; the second of two concurrent
    #    reads gets 429 + Retry-After: 1, which the SDK honours and retries.
    control("POST", "/rate_limit", {"requests_per_minute": 0, "max_in_flight_reads": 1, "max_in_flight_writes": 15})
    control("POST", "/latency", {"base_ms": 800})
    limited_before = control("GET", "/counters")["rate_limited"]
    spurious_before = control("GET", "/counters")["faults"]["spurious_429s"]
    results, failures = [], []

    def read(delay):
        time.sleep(delay)
        try:
            results.append(asana.UsersApi(client("admin")).get_user("me", {})["gid"])
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(repr(error))

    threads = [threading.Thread(target=read, args=(delay,)) for delay in (0.0, 0.2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    control("POST", "/latency", {})
    control("POST", "/rate_limit", {})
    check(not failures and len(results) == 2, f"concurrent reads under the in-flight cap: {failures}")
    counters = control("GET", "/counters")
    check(counters["rate_limited"] > limited_before, "the in-flight cap answered 429")
    check(any(429 in r.retry_statuses for r in RECORDS), "the SDK retried a 429")

    # 2. Spurious 429s (seeded): every read still succeeds through the SDK's retries.
    control("POST", "/faults", {"spurious_429_rate": 0.3})
    api = asana.WorkspacesApi(client("service-account"))
    for _ in range(15):
        api.get_workspace(Q["org"], {})
    control("POST", "/faults", {})
    counters = control("GET", "/counters")
    check(counters["faults"]["spurious_429s"] > spurious_before, "spurious 429s were injected")

    # 3. The SDK does not retry POSTs: the 429 reaches us, with Retry-After and Asana's body.
    control("POST", "/faults", {"spurious_429_rate": 1.0, "apply_to_writes": True})
    error = expect_api_error(429, lambda: asana.TeamsApi(client("admin")).add_user_for_team(
        {"data": {"user": Q["cjk_user"]}}, Q["alpha_team"], {}), "POST under spurious 429")
    control("POST", "/faults", {})
    if error is not None:
        headers = {k.lower(): v for k, v in dict(error.headers or {}).items()}
        check(headers.get("retry-after") == "1", f"429 carries Retry-After: {headers}")


def main():
    for role in ("admin", "member", "guest", "service-account"):
        page_everything(role)
    writes()
    rate_limits()
    validate_records()

    exercised = set(VALIDATED)
    needed = {
        "getUser", "getUsers", "getUsersForWorkspace", "getUsersForTeam", "getWorkspaces", "getWorkspace",
        "addUserForWorkspace", "removeUserForWorkspace", "getWorkspaceMembershipsForWorkspace",
        "getWorkspaceMembershipsForUser", "getWorkspaceMembership", "getTeamsForWorkspace", "getTeamsForUser",
        "getTeam", "addUserForTeam", "removeUserForTeam", "getTeamMemberships", "getTeamMembershipsForTeam",
        "getTeamMembershipsForUser", "getTeamMembership",
    }
    for missing in sorted(needed - exercised):
        problem(f"operation never exercised: {missing}")
    total = sum(VALIDATED.values())
    print(f"validated {total} response bodies across {len(exercised)} operations:")
    for operation_id, count in sorted(VALIDATED.items()):
        print(f"  {operation_id}: {count}")
    for operation_id, field in sorted(OUTSIDE_ENUM):
        print(f"note: {operation_id} was asked for {field!r}, which the spec's opt_fields enum does not list")
    if PROBLEMS:
        print(f"FAILED: {len(PROBLEMS)} problem(s)")
        return 1
    print("OK: every body matched its schema")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # noqa: BLE001 - any crash must fail the test loudly
        traceback.print_exc()
        print(f"FAILED: crashed ({len(PROBLEMS)} problem(s) before)")
        sys.exit(2)
