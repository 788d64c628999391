#!/usr/bin/env python3
"""Writes Sources/HuitongServer/Resources/openapi.json, the API contract served at /api/openapi.json.

The contract is kept here as data so that it stays reviewable; a test fails when a route of the
application is missing from it, or when it documents a route the application does not have.
Run: python3 scripts/openapi.py
"""
import json, pathlib

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def body(schema): return {"required": True, "content": {"application/json": {"schema": schema}}}
def ok(schema, desc="OK"): return {"description": desc, "content": {"application/json": {"schema": schema}}}
def lst(name): return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref(name)}}}
ERR = {"description": "Error", "content": {"application/json": {"schema": ref("Error")}}}
def errors(*codes): return {str(c): ERR for c in codes}
ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64", "minimum": 1}}]
CRED = ID + [{"name": "credentialID", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64", "minimum": 1}}]
DEPT_Q = [{"name": "departmentID", "in": "query", "required": False, "schema": {"type": "integer", "format": "int64"}}]

def op(summary, tag, responses, request=None, params=None, security=True):
    responses = dict(responses)
    # What any operation may answer besides its own statuses: 400 for a parameter or body it cannot take (an id
    # out of range, a bad query value), 401/403 before anything when it needs a caller, 404 for a missing object.
    if params or request: responses.setdefault("400", ERR)
    if security: responses.setdefault("401", ERR); responses.setdefault("403", ERR)
    if any(p.get("in") == "path" for p in params or []): responses.setdefault("404", ERR)
    o = {"summary": summary, "tags": [tag], "responses": responses}
    if request: o["requestBody"] = body(request)
    if params: o["parameters"] = params
    if not security: o["security"] = []
    return o

paths = {
  "/healthz": {"get": op("Liveness and database check", "system", {"200": ok(ref("Health")), "503": ok(ref("Health"), "Neither the primary database nor a replica answers")}, security=False)},
  "/api/openapi.json": {"get": op("This document", "system", {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}, security=False)},
  "/api/v1/auth/login": {"post": op("Sign in; sets the session cookie and returns the CSRF token", "auth", {"200": ok(ref("LoginResult")), **errors(400, 401, 403, 429)}, ref("LoginInput"), security=False)},
  "/api/v1/auth/logout": {"post": op("End the current session", "auth", {"204": {"description": "Signed out"}, **errors(401, 403)})},
  "/api/v1/me": {"get": op("The signed-in user, or the calling application system and its credential, with the department", "auth", {"200": ok(ref("Me")), **errors(401, 403)})},
  "/api/v1/departments": {
    "get": op("List departments", "departments", {"200": ok(lst("Department")), **errors(401, 403)}),
    "post": op("Create a department (operator)", "departments", {"201": ok(ref("Department"), "Created"), **errors(400, 401, 403, 409, 413, 422)}, ref("DepartmentInput"))},
  "/api/v1/departments/{id}": {
    "get": op("Get a department", "departments", {"200": ok(ref("Department")), **errors(400, 401, 404)}, params=ID),
    "patch": op("Change a department (operator)", "departments", {"200": ok(ref("Department")), **errors(400, 401, 403, 404, 409, 422)}, ref("DepartmentInput"), ID),
    "delete": op("Delete a department without users, systems or children (operator)", "departments", {"204": {"description": "Deleted"}, **errors(401, 403, 404, 409)}, params=ID)},
  "/api/v1/users": {
    "get": op("List users (officers see their own department)", "users", {"200": ok(lst("User")), **errors(401, 403)}, params=DEPT_Q),
    "post": op("Create a user (operator); a generated password is returned once", "users", {"201": ok(ref("CreatedUser"), "Created"), **errors(400, 401, 403, 409, 422)}, ref("CreateUserInput"))},
  "/api/v1/users/{id}": {
    "get": op("Get a user", "users", {"200": ok(ref("User")), **errors(400, 401, 403, 404)}, params=ID),
    "patch": op("Change a user's name, department, roles or status (operator)", "users", {"200": ok(ref("User")), **errors(400, 401, 403, 404, 409, 422)}, ref("UpdateUserInput"), ID),
    "delete": op("Delete a user (operator)", "users", {"204": {"description": "Deleted"}, **errors(401, 403, 404, 409)}, params=ID)},
  "/api/v1/users/{id}/password": {
    "post": op("Change your password (with the current one) or reset another user's (operator)", "users", {"200": ok(ref("PasswordResult")), **errors(400, 401, 403, 404)}, ref("PasswordInput"), ID)},
  "/api/v1/tokens": {
    "get": op("List your personal API tokens", "tokens", {"200": ok(lst("APIToken")), **errors(401, 403)}),
    "post": op("Create a personal API token; the secret is shown once. It lives HUITONG_TOKEN_DEFAULT_DAYS (90) unless expiresAt asks otherwise, at most HUITONG_TOKEN_MAXIMUM_DAYS (365), and never longer than the bearer token that creates it", "tokens", {"201": ok(ref("CreatedToken"), "Created"), **errors(400, 401, 403)}, ref("TokenInput"))},
  "/api/v1/tokens/{id}": {
    "delete": op("Revoke a personal API token", "tokens", {"200": ok(ref("APIToken")), **errors(401, 403, 404)}, params=ID)},
  "/api/v1/application-systems": {
    "get": op("List application systems (officers see their own department)", "application-systems", {"200": ok(lst("ApplicationSystem")), **errors(401, 403)}, params=DEPT_Q),
    "post": op("Register an application system (consumer or operator)", "application-systems", {"201": ok(ref("ApplicationSystem"), "Created"), **errors(400, 401, 403, 409, 422)}, ref("SystemInput"))},
  "/api/v1/application-systems/{id}": {
    "get": op("Get an application system", "application-systems", {"200": ok(ref("ApplicationSystem")), **errors(400, 401, 403, 404)}, params=ID),
    "patch": op("Change or deactivate an application system", "application-systems", {"200": ok(ref("ApplicationSystem")), **errors(400, 401, 403, 404, 409)}, ref("SystemInput"), ID),
    "delete": op("Delete an application system and its credentials", "application-systems", {"204": {"description": "Deleted"}, **errors(401, 403, 404)}, params=ID)},
  "/api/v1/application-systems/{id}/credentials": {
    "get": op("List an application system's credentials (key id, hint, dates; never the secret)", "application-systems", {"200": ok(lst("APIToken")), **errors(401, 403, 404)}, params=ID),
    "post": op("Issue a credential (key id + secret) for an application system; the secret is shown once", "application-systems", {"201": ok(ref("CreatedToken"), "Created"), **errors(400, 401, 403, 404, 409)}, ref("TokenInput"), ID)},
  "/api/v1/application-systems/{id}/credentials/{credentialID}/rotate": {
    "post": op("Rotate a credential: a new secret under the same key id; the old secret keeps working for the grace period (body optional)", "application-systems", {"201": ok(ref("CreatedToken"), "Created"), **errors(400, 401, 403, 404, 409)}, ref("RotateInput"), CRED)},
  "/api/v1/application-systems/{id}/credentials/{credentialID}": {
    "delete": op("Revoke a credential at once, with every secret under its key id", "application-systems", {"200": ok(ref("APIToken")), **errors(401, 403, 404)}, params=CRED)},
  "/api/v1/application-systems/{id}/tokens": {
    "get": {**op("Same as …/credentials (earlier name)", "application-systems", {"200": ok(lst("APIToken")), **errors(401, 403, 404)}, params=ID), "deprecated": True},
    "post": {**op("Same as …/credentials (earlier name)", "application-systems", {"201": ok(ref("CreatedToken"), "Created"), **errors(400, 401, 403, 404, 409)}, ref("TokenInput"), ID), "deprecated": True}},
  "/api/v1/application-systems/{id}/tokens/{tokenID}": {
    "delete": {**op("Same as DELETE …/credentials/{credentialID} (earlier name)", "application-systems", {"200": ok(ref("APIToken")), **errors(401, 403, 404)},
                 params=ID + [{"name": "tokenID", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}]), "deprecated": True}},
}

# ---- Catalog (政务信息资源目录), three lists and the information-system registry ----
def enum(*values): return {"type": "string", "enum": list(values)}
SHARE = enum("unconditional", "conditional", "notShared")
OPEN = enum("unconditional", "conditional", "closed")
CYCLE = enum("realtime", "daily", "weekly", "monthly", "quarterly", "halfYearly", "yearly", "irregular")
GRADE = enum("general1", "general2", "general3", "general4", "important", "core")
STATUS = enum("draft", "submitted", "returned", "published", "offline")
CHANNEL = enum("database", "interface", "file", "otherMeans")
def q(name, desc, schema=None, repeat=False):
    sch = schema or {"type": "string"}
    if repeat: sch = {"type": "array", "items": sch}
    return {"name": name, "in": "query", "required": False, "description": desc, "schema": sch, **({"explode": True} if repeat else {})}
SEARCH_Q = [q("q", "Words to find (Chinese substrings match) in name, abstract, items, keywords, department"),
            q("departmentID", "Provider department", {"type": "integer", "format": "int64"}, True),
            q("classification", "Classification code prefix, e.g. 1 or 101"),
            q("shareType", "Share type (raw value or Chinese label)", None, True), q("openness", "Openness", None, True),
            q("format", "Format type, e.g. XLSX", None, True), q("keyword", "Keyword", None, True),
            q("updateCycle", "Update cycle", None, True), q("grade", "Security grade", None, True),
            q("status", "Lifecycle status (officers see other departments' entries only when published)", None, True),
            q("mine", "Only the caller's department, every status", {"type": "boolean"}),
            q("page", "1-based page", {"type": "integer", "minimum": 1}), q("pageSize", "1–100, default 20", {"type": "integer", "minimum": 1, "maximum": 100}),
            q("facets", "Comma-separated facets to count, or none (default all)")]
STEP = lambda summary: {"post": op(summary, "catalog", {"200": ok(ref("CatalogEntry")), **errors(400, 401, 403, 404, 409, 422)}, {"$ref": "#/components/schemas/CommentInput"}, ID)}
def crud(path, tag, name, inp, what, extra_get=None):
    paths[path] = {"get": op(f"List {what}", tag, {"200": ok(lst(name)), **errors(401, 403)}, params=DEPT_Q),
                   "post": op(f"Create a {what[:-1] if what.endswith('s') else what} row", tag, {"201": ok(ref(name), "Created"), **errors(400, 401, 403, 409, 422)}, ref(inp))}
    paths[path + "/{id}"] = {"get": op(f"Get one", tag, {"200": ok(ref(name)), **errors(400, 401, 404)}, params=ID),
                             "put": op(f"Replace one", tag, {"200": ok(ref(name)), **errors(400, 401, 403, 404, 409, 422)}, ref(inp), ID)}
paths.update({
  "/api/v1/catalog/classifications": {
    "get": op("Classification nodes (编制指南 类/项/目/细目)", "catalog", {"200": ok(lst("ClassificationNode")), **errors(401, 403)}, params=[q("scheme", "Scheme, default guide")]),
    "post": op("Add or rename a classification node (operator)", "catalog", {"201": ok(ref("ClassificationNode"), "Created"), **errors(400, 401, 403, 422)}, ref("ClassificationNode"))},
  "/api/v1/catalog/entries": {
    "get": op("Search the catalog with facets", "catalog", {"200": ok(ref("CatalogSearch")), **errors(400, 401, 403)},
              params=[q("code", "An exact resource code, e.g. 101001/0001: answers that one entry in any status the caller may see (the other parameters do not apply)")] + SEARCH_Q),
    "post": op("File a new draft entry; its resource code is assigned from the classification", "catalog", {"201": ok(ref("CatalogEntry"), "Created"), **errors(400, 401, 403, 422)}, ref("CatalogEntryInput"))},
  "/api/v1/catalog/entries/{id}": {
    "get": op("Get an entry", "catalog", {"200": ok(ref("CatalogEntry")), **errors(400, 401, 404)}, params=ID),
    "put": op("Replace an entry's content; a published entry gets a new version", "catalog", {"200": ok(ref("CatalogEntry")), **errors(400, 401, 403, 404, 409, 422)}, ref("CatalogEntryInput"), ID),
    "delete": op("Delete a draft that was never published", "catalog", {"204": {"description": "Deleted"}, **errors(401, 403, 404, 409)}, params=ID)},
  "/api/v1/catalog/entries/{id}/submit": STEP("Submit for review (provider)"),
  "/api/v1/catalog/entries/{id}/publish": STEP("Publish a submitted entry (operator)"),
  "/api/v1/catalog/entries/{id}/return": STEP("Return a submitted entry with comments (operator)"),
  "/api/v1/catalog/entries/{id}/withdraw": STEP("Take a published entry offline (下架) with a reason"),
  "/api/v1/catalog/entries/{id}/versions": {"get": op("Published versions, oldest first", "catalog", {"200": ok(lst("CatalogVersion")), **errors(401, 404)}, params=ID)},
  "/api/v1/catalog/entries/{id}/history": {"get": op("Lifecycle and edit events", "catalog", {"200": ok(lst("CatalogEvent")), **errors(401, 404)}, params=ID)},
  "/api/v1/catalog/entries/{id}/diff": {"get": op("Field-by-field differences between two versions (to omitted: the current content)", "catalog", {"200": ok(ref("CatalogDiff")), **errors(400, 401, 404)},
      params=ID + [q("from", "Version number", {"type": "integer"}), q("to", "Version number", {"type": "integer"})])},
  "/api/v1/catalog/entries/{id}/mount": {
    "put": op("Record the mounted resource (挂接资源). An API locator naming a loopback, link-local, private, unspecified, multicast or reserved address (or an address spelt as an integer, octal or hex) is refused unless on the operator's upstream allow-list; host names are checked on every call once resolved", "catalog", {"200": ok(ref("CatalogEntry")), **errors(400, 401, 403, 404)}, ref("MountInput"), ID),
    "delete": op("Remove the mounted resource", "catalog", {"200": ok(ref("CatalogEntry")), **errors(401, 403, 404)}, params=ID)},
  "/api/v1/catalog/mount-rates": {"get": op("挂接率 per department", "catalog", {"200": ok(lst("MountRate")), **errors(401, 403)})},
  "/api/v1/lists/responsibility/coverage": {"get": op("Responsibility-list coverage: promised resources still missing per department", "lists", {"200": ok(ref("Coverage")), **errors(401, 403)})},
  "/api/v1/lists/demand/{id}/resolve": {"post": op("Close a demand: linked to an entry or application, or with a reason", "lists", {"200": ok(ref("DemandRow")), **errors(400, 401, 403, 404, 409, 422)}, ref("DemandResolution"), ID)},
})
crud("/api/v1/lists/negative", "lists", "NegativeListRow", "NegativeListInput", "negative-list rows")
paths["/api/v1/lists/negative/{id}"]["delete"] = op("Delete a row no entry cites", "lists", {"204": {"description": "Deleted"}, **errors(401, 403, 404, 409)}, params=ID)
crud("/api/v1/lists/responsibility", "lists", "ResponsibilityRow", "ResponsibilityInput", "responsibility-list rows")
paths["/api/v1/lists/responsibility/{id}"]["delete"] = op("Delete a row (operator)", "lists", {"204": {"description": "Deleted"}, **errors(401, 403, 404)}, params=ID)
crud("/api/v1/lists/demand", "lists", "DemandRow", "DemandInput", "demands")
crud("/api/v1/information-systems", "information-systems", "InformationSystem", "InformationSystemInput", "information systems")
paths["/api/v1/information-systems/{id}"]["delete"] = op("Delete a system no entry names as its source", "information-systems", {"204": {"description": "Deleted"}, **errors(401, 403, 404, 409)}, params=ID)

S = lambda **p: {"type": "string", **p}
# An optional text the server also takes as null, meaning "not given" (the same as leaving it out).
NS = lambda **p: {"type": ["string", "null"], **p}
I64 = {"type": "integer", "format": "int64"}
DT = {"type": "string", "format": "date-time"}
ROLE = {"type": "string", "enum": ["operator", "provider", "consumer", "auditor", "chiefDataOfficer"]}
schemas = {
  "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
      "code": S(examples=["validation_failed"]), "message": S(), "details": {"type": "array", "items": {"type": "object", "required": ["field", "message"], "properties": {"field": S(), "message": S()}}}}}}},
  "Health": {"type": "object", "required": ["status", "version", "backend", "database"], "properties": {"status": S(enum=["ok", "degraded", "unavailable"]), "version": S(), "backend": S(enum=["sqlite", "postgres"]), "database": S(enum=["ok", "unreachable"]),
    "replicas": {"type": "array", "description": "Read replicas (HUITONG_DATABASE_READ_URLS) and whether reads go to them", "items": {"type": "object", "required": ["name", "state"], "properties": {"name": S(), "state": S(enum=["ok", "lagging", "down"]), "lagSeconds": {"type": "number"}}}},
    "nodes": {"type": "integer", "description": "Nodes on this PostgreSQL with a recent heartbeat"}}},
  "LoginInput": {"type": "object", "required": ["username", "password"], "properties": {"username": S(), "password": S(format="password")}},
  "LoginResult": {"type": "object", "required": ["user", "csrfToken", "expiresAt"], "properties": {"user": ref("User"), "csrfToken": S(description="Send as X-CSRF-Token on state-changing requests that use the session cookie"), "expiresAt": DT}},
  "Me": {"type": "object", "description": "user for a person; system and credential for an application system", "properties": {"user": ref("User"), "system": ref("ApplicationSystem"), "credential": ref("APIToken"), "department": ref("Department")}},
  "Department": {"type": "object", "required": ["id", "name", "code", "regionCode", "createdAt", "updatedAt"], "properties": {
      "id": I64, "name": S(), "code": S(), "creditCode": S(description="统一社会信用代码, GB 32100"), "regionCode": S(description="行政区划代码, GB/T 2260", pattern="^[0-9]{6}$"),
      "parentID": I64, "isActive": {"type": "boolean", "description": "False once the operator disabled it (its users were disabled with it)"}, "createdAt": DT, "updatedAt": DT}},
  "DepartmentInput": {"type": "object", "properties": {"name": S(maxLength=100), "code": S(pattern="^[A-Za-z0-9_-]{1,32}$"), "creditCode": S(minLength=18, maxLength=18), "regionCode": S(pattern="^[0-9]{6}$"), "parentID": I64}},
  "User": {"type": "object", "required": ["id", "username", "displayName", "departmentID", "roles", "isActive", "createdAt"], "properties": {
      "id": I64, "username": S(), "displayName": S(), "departmentID": I64, "roles": {"type": "array", "items": ROLE}, "isActive": {"type": "boolean"}, "createdAt": DT, "lastLoginAt": DT}},
  "CreateUserInput": {"type": "object", "required": ["username", "displayName", "departmentID", "roles"], "properties": {
      "username": S(pattern="^[a-z][a-z0-9._-]{2,39}$"), "displayName": S(maxLength=50), "departmentID": I64, "roles": {"type": "array", "items": ROLE, "minItems": 1}, "password": S(format="password", minLength=10, description="Omit to have one generated and returned once")}},
  "UpdateUserInput": {"type": "object", "properties": {"displayName": S(maxLength=50), "departmentID": I64, "roles": {"type": "array", "items": ROLE}, "isActive": {"type": "boolean"}}},
  "CreatedUser": {"type": "object", "required": ["user"], "properties": {"user": ref("User"), "password": S(description="Generated password, shown once")}},
  "PasswordInput": {"type": "object", "properties": {"currentPassword": S(format="password"), "newPassword": S(format="password", minLength=10),
    "keepOtherSessions": {"type": "boolean", "description": "Keep the user's other sessions and personal tokens open; by default a new password ends them (all but the one making the change)"}}},
  "PasswordResult": {"type": "object", "properties": {"password": S(description="Generated password, shown once")}},
  "TokenInput": {"type": "object", "required": ["name"], "properties": {"name": S(maxLength=100), "expiresAt": DT}},
  "APIToken": {"type": "object", "required": ["id", "owner", "name", "hint", "createdAt"], "properties": {
      "id": I64, "owner": {"type": "object", "description": "{\"user\": {\"_0\": id}} or {\"system\": {\"_0\": id}}"}, "name": S(), "hint": S(description="First characters of the secret"), "createdAt": DT, "expiresAt": DT, "revokedAt": DT, "lastUsedAt": DT,
      "keyID": S(pattern="^hk_[0-9a-f]{32}$", description="Application-system credentials: the public key id for signed requests; the same for every secret a rotation makes"),
      "replacedBy": {**I64, "description": "Set when rotated: the credential that replaced this one, which then expires at the end of the grace period"},
      "canSign": {"type": "boolean", "description": "The node holds the secret sealed and can check HMAC signatures made with it; false: bearer use only"}}},
  "CreatedToken": {"type": "object", "required": ["token", "secret"], "properties": {"token": ref("APIToken"), "secret": S(description="The secret, shown once: a bearer token, and the HMAC key of signed requests"),
      "keyID": S(description="Application-system credentials: the key id to send as Credential= in signed requests"), "previous": ref("APIToken")}},
  "RotateInput": {"type": "object", "properties": {"graceSeconds": {"type": "integer", "minimum": 0, "maximum": 2592000, "description": "How long the old secret keeps working; the node's configured grace (default 24 h) when absent"}}},
  "ApplicationSystem": {"type": "object", "required": ["id", "departmentID", "name", "description", "isActive", "createdAt"], "properties": {
      "id": I64, "departmentID": I64, "name": S(), "description": S(), "isActive": {"type": "boolean"}, "createdAt": DT}},
  "SystemInput": {"type": "object", "properties": {"name": S(maxLength=100), "description": S(maxLength=2000), "departmentID": I64, "isActive": {"type": "boolean"}}},
}

OBJ = lambda req, props: {"type": "object", "required": req, "properties": props}
ITEM_PROPS = {"name": S(maxLength=100), "columnName": S(pattern="^[a-z][a-z0-9_]{0,62}$"), "dataType": enum(*"CNYDTLMGBIF"), "length": {"type": "integer"},
    "isKey": {"type": "boolean"}, "isRequired": {"type": "boolean"}, "shareType": SHARE, "grade": GRADE,
    "semanticKind": enum("residentID", "creditCode", "regionCode", "mobilePhone", "landline", "personName", "address", "bankCard", "email", "licensePlate", "other"),
    "standardElement": S(), "note": S(), "negativeListID": I64,
    "codeSet": S(maxLength=64, description="Id of the code set (代码集) the values come from, e.g. GB/T 2261.1-2003; character and integer items only")}
CONTENT_PROPS = {"classificationCode": S(pattern="^[0-9]{6,20}$"), "name": S(maxLength=200), "abstract": S(maxLength=4000),
    "formats": {"type": "array", "items": OBJ(["category", "type"], {"category": enum("document", "spreadsheet", "database", "image", "media", "selfDescribing"), "type": S()})},
    "shareType": SHARE, "shareCondition": S(), "shareChannel": CHANNEL, "shareChannelNote": S(), "openness": OPEN, "openCondition": S(), "updateCycle": CYCLE,
    "relatedCodes": {"type": "array", "items": S()}, "keywords": {"type": "array", "items": S()}, "grade": GRADE,
    "contact": OBJ(["name"], {"name": S(), "phone": S(), "email": S()}), "sourceSystemID": I64, "negativeListID": I64}
schemas.update({
  "ClassificationNode": OBJ(["code", "name"], {"scheme": S(default="guide"), "code": S(pattern="^[0-9]{1,20}$"), "name": S()}),
  "InfoItem": OBJ(["name", "columnName", "dataType"], ITEM_PROPS),
  "CatalogEntryContent": OBJ(["classificationCode", "name", "abstract", "formats", "items", "shareType", "openness", "updateCycle", "grade"], {**CONTENT_PROPS, "items": {"type": "array", "items": ref("InfoItem")}}),
  "CatalogEntryInput": OBJ(["classificationCode", "name", "abstract", "formats", "shareType", "updateCycle"], {**CONTENT_PROPS, "items": {"type": "array", "items": ref("InfoItem")}, "departmentID": I64, "note": S(description="Why it changed; kept with the new version")}),
  "CatalogEntry": OBJ(["id", "code", "provider", "status", "version", "content", "createdAt", "updatedAt"], {
      "id": I64, "code": S(description="信息资源代码 前段码/后段码", examples=["101001/0001"]), "status": STATUS, "version": {"type": "integer"},
      "provider": OBJ(["departmentID", "name", "code", "regionCode"], {"departmentID": I64, "name": S(), "code": S(), "creditCode": S(), "regionCode": S()}),
      "content": ref("CatalogEntryContent"), "publishedOn": S(format="date"), "recordCount": I64, "dataUpdatedAt": DT,
      "mount": OBJ(["kind", "locator"], {"kind": enum("table", "api", "file"), "locator": S()}), "createdAt": DT, "updatedAt": DT}),
  "CatalogSearch": OBJ(["total", "page", "pageSize", "items", "facets"], {"total": {"type": "integer"}, "page": {"type": "integer"}, "pageSize": {"type": "integer"},
      "items": {"type": "array", "items": ref("CatalogEntry")},
      "facets": {"type": "object", "additionalProperties": {"type": "array", "items": OBJ(["value", "label", "count"], {"value": S(), "label": S(), "count": {"type": "integer"}})}},
      "remote": {"type": "array", "description": "On the first page of a search with words: matching entries the nodes below registered (目录上报); apply for them at /api/v1/federation/applications",
          "items": OBJ(["upperCode", "code", "origin", "name", "provider", "shareType", "openness"], {"upperCode": S(description="This node's code for the entry"),
              "code": S(description="The entry's code on the node that owns it"), "origin": S(description="The owning node's region code"), "name": S(), "provider": S(),
              "shareType": S(), "openness": S(), "mountKind": S()})}}),
  "CommentInput": OBJ([], {"comment": S(description="Required to return or withdraw")}),
  "CatalogVersion": OBJ(["version", "content", "authorName", "note", "createdAt"], {"version": {"type": "integer"}, "content": ref("CatalogEntryContent"), "authorName": S(), "note": S(), "createdAt": DT}),
  "CatalogEvent": OBJ(["action", "version", "comment", "actorName", "createdAt"], {"action": S(examples=["created", "edited", "revised", "submit", "publish", "return", "withdraw", "mounted"]), "version": {"type": "integer"}, "comment": S(), "actorName": S(), "createdAt": DT}),
  "CatalogDiff": OBJ(["from", "changes"], {"from": {"type": "integer"}, "to": {"type": "integer"},
      "changes": {"type": "array", "items": OBJ(["field", "label"], {"field": S(examples=["items.sfzhm.length"]), "label": OBJ(["zh", "en"], {"zh": S(), "en": S()}), "before": S(), "after": S()})}}),
  "MountInput": OBJ(["kind", "locator"], {"kind": enum("table", "api", "file"), "locator": S(maxLength=500), "recordCount": I64}),
  "MountRate": OBJ(["departmentID", "departmentName", "published", "mounted", "rate"], {"departmentID": I64, "departmentName": S(), "published": {"type": "integer"}, "mounted": {"type": "integer"}, "rate": {"type": "number"}}),
  "NegativeListInput": OBJ(["kind", "resource", "reason", "legalBasis"], {"departmentID": I64, "kind": enum("notShared", "notOpened"), "resource": S(), "items": S(), "reason": S(), "legalBasis": S(minLength=1, description="Law, regulation or central policy; mandatory"), "reviewer": S(), "reviewBy": S(format="date")}),
  "NegativeListRow": OBJ(["id", "departmentID", "content", "createdAt", "updatedAt"], {"id": I64, "departmentID": I64, "content": ref("NegativeListInput"), "createdAt": DT, "updatedAt": DT}),
  "ResponsibilityInput": OBJ(["departmentID", "basis", "resourceName"], {"departmentID": I64, "basis": S(), "resourceName": S(), "entryID": I64, "items": S(), "shareType": SHARE, "openness": OPEN, "updateCycle": CYCLE, "channel": CHANNEL, "office": S(), "contact": S(), "dueBy": S(format="date")}),
  "ResponsibilityContent": OBJ(["basis", "resourceName"], {"basis": S(), "resourceName": S(), "entryID": I64, "items": S(), "shareType": SHARE, "openness": OPEN, "updateCycle": CYCLE, "channel": CHANNEL, "office": S(), "contact": S(), "dueBy": S(format="date")}),
  "ResponsibilityRow": OBJ(["id", "departmentID", "content", "createdAt", "updatedAt"], {"id": I64, "departmentID": I64, "content": ref("ResponsibilityContent"), "createdAt": DT, "updatedAt": DT}),
  "Coverage": OBJ(["promised", "fulfilled", "departments"], {"promised": {"type": "integer"}, "fulfilled": {"type": "integer"}, "departments": {"type": "array", "items": OBJ(["departmentID", "departmentName", "promised", "fulfilled", "rate", "missing"], {
      "departmentID": I64, "departmentName": S(), "promised": {"type": "integer"}, "fulfilled": {"type": "integer"}, "rate": {"type": "number"}, "missing": {"type": "array", "items": ref("ResponsibilityRow")}})}}),
  "DemandInput": OBJ(["scenario", "requestedData", "purpose", "basis"], {"departmentID": I64, "scenario": S(), "requestedData": S(), "expectedProviderID": I64, "purpose": S(), "basis": S(), "channel": CHANNEL, "frequency": CYCLE, "neededBy": S(format="date")}),
  "DemandRow": OBJ(["id", "number", "departmentID", "content", "status", "createdAt", "updatedAt"], {"id": I64, "number": S(examples=["XQ-2026-0001"]), "departmentID": I64, "content": ref("DemandInput"),
      "status": enum("open", "satisfied", "partiallySatisfied", "unsatisfiable"), "entryID": I64, "applicationID": I64, "closingReason": S(), "createdAt": DT, "updatedAt": DT}),
  "DemandResolution": OBJ(["status"], {"status": enum("satisfied", "partiallySatisfied", "unsatisfiable"), "entryID": I64, "applicationID": I64, "reason": S()}),
  "InformationSystemInput": OBJ(["name"], {"departmentID": I64, "name": S(maxLength=100), "description": S(maxLength=2000), "status": enum("inUse", "building", "retired")}),
  "InformationSystem": OBJ(["id", "departmentID", "name", "description", "status", "createdAt", "updatedAt"], {"id": I64, "departmentID": I64, "name": S(), "description": S(), "status": enum("inUse", "building", "retired"), "createdAt": DT, "updatedAt": DT}),
})

paths.update({
  "/api/v1/catalog/export": {"get": op("Download the catalog as CSV or XLSX in 编制指南 field order, one row per data item (same filters as search)", "catalog",
      {"200": {"description": "The file", "content": {"text/csv": {"schema": {"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}, **errors(400, 401, 403)},
      params=[q("fileType", "csv or xlsx (default)")] + SEARCH_Q)},
  "/api/v1/catalog/import": {"post": {**op("Import entries from CSV or XLSX (the export's layout); all or nothing, with a row-by-row report", "catalog",
      {"200": ok(ref("ImportReport")), **errors(400, 401, 403, 413), "422": ok(ref("ImportReport"), "Problems found; nothing was written")},
      params=[q("fileType", "csv or xlsx (default)"), q("dryRun", "Check only", {"type": "boolean"}), q("report", "csv for the report as a CSV file")]),
      "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}}},
})
ISSUE = OBJ(["row", "column", "message"], {"row": {"type": "integer", "description": "Spreadsheet row (header = 1)"}, "column": S(), "message": S()})
schemas["ImportReport"] = OBJ(["dryRun", "imported", "created", "updated", "entries", "errors", "warnings"], {"dryRun": {"type": "boolean"}, "imported": {"type": "boolean"},
    "created": {"type": "integer"}, "updated": {"type": "integer"},
    "entries": {"type": "array", "items": OBJ(["row", "name", "action"], {"row": {"type": "integer"}, "id": I64, "code": S(), "name": S(), "action": enum("create", "update")})},
    "errors": {"type": "array", "items": ISSUE}, "warnings": {"type": "array", "items": ISSUE}})

JOB = OBJ(["job", "percent", "rowsPerSecond"], {"job": OBJ(["id", "entryID", "mode", "status", "fileName", "contentHash", "totalBytes", "processedBytes", "rowsRead", "rowsLoaded", "rowsRejected", "message", "createdAt"], {
    "id": I64, "entryID": I64, "mode": enum("replace", "upsert", "delete", "sync", "reconcile"), "status": enum("running", "succeeded", "failed"), "fileName": S(), "contentHash": S(description="SHA-256 of the file"),
    "totalBytes": I64, "processedBytes": I64, "rowsRead": I64, "rowsLoaded": I64, "rowsRejected": I64, "poolVersion": {"type": "integer"}, "message": S(), "createdAt": DT, "finishedAt": DT}),
    "percent": {"type": "integer"}, "rowsPerSecond": {"type": "number"}, "secondsRemaining": {"type": "integer"}})
schemas["IngestJob"] = JOB
paths.update({
  "/api/v1/catalog/entries/{id}/uploads": {"post": {**op("Upload a CSV (UTF-8/GB18030), XLSX, NDJSON or JSON-array file, as the raw body or as the file part of a multipart form, and load it into the entry's pool; answers at once with the job", "ingest",
      {"202": ok(ref("IngestJob"), "Accepted; follow the job"), **errors(400, 401, 403, 404, 409, 413)},
      params=ID + [q("mode", "replace (default), upsert, delete, sync (the file is the whole pool, only differences written) or reconcile (the file lists the keys that remain, key columns only; rows with other keys are retired)"), q("encoding", "auto (default), utf-8 or gb18030"), q("sheet", "XLSX sheet name"), q("fileName", "Original file name (.csv, .txt, .xlsx, .ndjson, .jsonl or .json); a form's file part names it instead"), q("allowRepeat", "Load a file already loaded before", {"type": "boolean"}), q("maxRejectedPercent", "Publish nothing when more than this share of rows (percent, 0–100; default 5) is rejected", {"type": "number", "minimum": 0, "maximum": 100}), q("publishValid", "Publish every valid row whatever share is rejected, and report the rest (a load whose every row is rejected still fails)", {"type": "boolean"})]),
      "requestBody": {"required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
          "multipart/form-data": {"schema": OBJ(["file"], {"file": {"type": "string", "format": "binary", "description": "The file, with its filename"},
              "mode": enum("replace", "upsert", "delete", "sync", "reconcile"), "encoding": enum("auto", "utf-8", "gb18030"), "sheet": S(), "allowRepeat": {"type": "boolean"}, "maxRejectedPercent": {"type": "number", "minimum": 0, "maximum": 100}, "publishValid": {"type": "boolean"}}),
              "encoding": {"file": {"contentType": "*/*"}}}}}}},
  "/api/v1/catalog/entries/{id}/template": {"get": op("The file to fill in for an upload into this entry: the items' names as the header, a row of types (skipped when loaded) and an example row, as CSV or XLSX (the entry's department or an operator)", "ingest",
      {"200": {"description": "The template", "content": {"text/csv": {"schema": {"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}, **errors(400, 401, 403, 404, 422)},
      params=ID + [q("format", "csv (default) or xlsx", {"type": "string", "enum": ["csv", "xlsx"]})])},
  "/api/v1/catalog/entries/{id}/jobs": {"get": op("Loads into this entry, newest first", "ingest", {"200": ok(lst("IngestJob")), **errors(401, 404)}, params=ID)},
  "/api/v1/ingest/jobs/{id}": {"get": op("A load's status, counts, percentage and time left", "ingest", {"200": ok(ref("IngestJob")), **errors(401, 404)}, params=ID)},
  "/api/v1/ingest/jobs/{id}/errors": {"get": op("The rejected rows as CSV (row, column, the file's heading of the column, masked value, reason)", "ingest", {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}, **errors(401, 404)}, params=ID)},
})

POOL_VERSION = OBJ(["version", "status", "rowCount", "columns", "createdAt"], {"version": {"type": "integer"}, "status": enum("building", "active", "retired"),
    "rowCount": I64, "columns": {"type": "array", "items": S()}, "createdAt": DT, "activatedAt": DT,
    "jobID": {**I64, "description": "The load that built it, while its job is on record"}, "fileName": S()})
schemas["PoolVersion"] = POOL_VERSION
paths.update({
  "/api/v1/catalog/entries/{id}/pool/versions": {"get": op("The pool's versions, newest first: the active one, those kept for rollback and any being loaded (the entry's department or an operator)", "ingest",
      {"200": ok(lst("PoolVersion")), **errors(401, 404)}, params=ID)},
  "/api/v1/catalog/entries/{id}/pool/rollback": {"post": op("Make a kept (retired) version the active one again, atomically; the entry's record count, update time and mount follow. Refused while a load runs", "ingest",
      {"200": ok(OBJ(["version", "entry"], {"version": ref("PoolVersion"), "entry": ref("CatalogEntry")})), **errors(400, 401, 403, 404, 409)},
      OBJ(["version"], {"version": {"type": "integer", "minimum": 1}}), ID)},
})

# ---- Code sets (代码集) ----
CODE = OBJ(["code", "label"], {"code": S(maxLength=64), "label": S(maxLength=200),
    "aliases": {"type": "array", "items": S(maxLength=200), "description": "Other spellings accepted on ingest and stored as the code, e.g. 男 for 1"}})
schemas["CodeSetInput"] = OBJ(["name", "codes"], {"name": OBJ(["zh"], {"zh": S(maxLength=200), "en": NS(maxLength=200, description="Defaults to the Chinese name")}),
    "codes": {"type": "array", "minItems": 1, "items": CODE, "description": "In the standard's order; codes unique"}})
schemas["CodeSet"] = OBJ(["id", "name", "codes"], {"id": S(examples=["GB/T 2261.1-2003"]), "name": OBJ(["zh", "en"], {"zh": S(), "en": S()}),
    "codes": {"type": "array", "items": CODE}})
CODE_SET_ID = [{"name": "id", "in": "path", "required": True, "description": "The code set id, percent-encoded: GB%2FT%202261.1-2003 for GB/T 2261.1-2003", "schema": {"type": "string"}}]
paths.update({
  "/api/v1/code-sets": {"get": op("Code sets (代码集) that data items take their values from", "code-sets", {"200": ok(lst("CodeSet")), **errors(401, 403)})},
  "/api/v1/code-sets/{id}": {
    "get": op("Get a code set", "code-sets", {"200": ok(ref("CodeSet")), **errors(400, 401, 403, 404)}, params=CODE_SET_ID),
    "put": op("Create or replace a code set (operator); 201 when new", "code-sets", {"200": ok(ref("CodeSet")), "201": ok(ref("CodeSet"), "Created"), **errors(400, 401, 403, 413)}, ref("CodeSetInput"), CODE_SET_ID)},
})

# ---- Sharing workflow (共享申请), grants (授权), notifications and the holiday calendar ----
APP_STATE = enum("draft", "submitted", "complianceReview", "providerReview", "approved", "partiallyApproved", "rejected", "returnedForInfo", "coordination", "resolvedApproved", "resolvedRejected", "withdrawn")
PURPOSE = enum("administrativeBasis", "workReference", "dataVerification", "businessCollaboration", "other")
ACCESS = enum("api", "bulkExtract")
DATE = S(format="date")
MASK = {"type": "object", "description": "A masking rule: {\"keep\": {\"first\": 1, \"last\": 2}}, {\"maskTail\": {\"count\": 8}}, {\"email\": {}}, {\"bankCard\": {}}, {\"all\": {}} or {\"none\": {}}"}
ROW_FILTER = OBJ(["column", "prefix"], {"column": S(description="Column of the entry"), "prefix": S(description="Values must start with this, e.g. a region-code prefix 3415")})
TERMS = OBJ([], {"items": {"type": "array", "items": S(), "description": "Granted column names; only a subset of those requested"},
    "validFrom": DATE, "validTo": DATE, "dailyQuota": {"type": "integer", "minimum": 1, "description": "At most the expected volume"},
    "rateLimit": {"type": "integer", "minimum": 1, "description": "Requests per second"},
    "rowFilter": {"oneOf": [S(enum=["consumerRegion"], description="The consumer department's jurisdiction, on the entry's region-code item"), ROW_FILTER]},
    "masking": {"type": "object", "additionalProperties": MASK, "description": "Per-item masking replacing the default"}})
APP_INPUT = OBJ(["items", "purpose", "purposeText", "legalBasis", "scenario", "validFrom", "validTo", "expectedDailyCalls"], {
    "entryID": I64, "resourceCode": S(description="Instead of entryID"), "items": {"type": "array", "items": S(), "minItems": 1, "description": "Column names (least necessary)"},
    "purpose": PURPOSE, "purposeText": S(maxLength=1000), "legalBasis": S(maxLength=1000, description="履职依据"), "scenario": S(maxLength=500, description="应用场景 / 政务服务事项"),
    "systemIDs": {"type": "array", "items": I64, "description": "The consumer's application systems that will call; empty: any of them"},
    "channel": ACCESS, "validFrom": DATE, "validTo": DATE, "expectedDailyCalls": {"type": "integer", "minimum": 1}})
DECISION = OBJ(["kind", "comment", "terms"], {"kind": enum("approve", "approvePartially", "refuse", "returnForInfo"), "comment": S(),
    "refusalReason": enum("outsideDuties", "purposeUnclear", "beyondNecessary", "prohibitedByLaw", "secret", "notOurData", "incompleteMaterials", "insufficientSecurity"), "terms": TERMS})
schemas.update({
  "ApplicationInput": APP_INPUT,
  "GrantTerms": TERMS,
  "Application": OBJ(["id", "number", "consumerDepartmentID", "applicantName", "providerDepartmentID", "resourceCode", "content", "state", "overdue", "createdAt", "updatedAt"], {
      "id": I64, "number": S(examples=["SQ-2026-0001"]), "consumerDepartmentID": I64, "applicantID": I64, "applicantName": S(), "providerDepartmentID": I64, "resourceCode": S(),
      "content": OBJ([], {k: v for k, v in APP_INPUT["properties"].items() if k != "resourceCode"}), "state": APP_STATE,
      "deadline": {**DT, "description": "When the current step's working-day time limit runs out"}, "overdue": {"type": "boolean"},
      "decision": DECISION, "grantID": I64, "submittedAt": DT, "createdAt": DT, "updatedAt": DT}),
  "ApplicationEvent": OBJ(["action", "to", "actorName", "comment", "at"], {"action": S(examples=["submit", "route", "approvePartially", "escalate"]), "from": APP_STATE, "to": APP_STATE, "actorID": I64, "actorName": S(), "comment": S(), "at": DT}),
  "DecisionInput": OBJ(["kind"], {**DECISION["properties"], "comment": S(description="Mandatory to refuse or return")}),
  "Grant": OBJ(["id", "applicationID", "entryID", "resourceCode", "providerDepartmentID", "consumerDepartmentID", "systemIDs", "items", "masking", "purpose", "channel", "rateLimit", "dailyQuota", "validFrom", "validTo", "status", "createdAt"], {
      "id": I64, "applicationID": I64, "entryID": I64, "resourceCode": S(), "providerDepartmentID": I64, "consumerDepartmentID": I64,
      "systemIDs": {"type": "array", "items": I64, "description": "Empty: every system of the consumer department"}, "items": {"type": "array", "items": S()},
      "rowFilter": ROW_FILTER, "masking": {"type": "object", "additionalProperties": MASK}, "purpose": PURPOSE, "purposeText": S(), "channel": ACCESS,
      "rateLimit": {"type": "integer"}, "dailyQuota": {"type": "integer"}, "validFrom": DATE, "validTo": DATE,
      "status": enum("active", "notYetValid", "expired", "revoked"), "createdAt": DT, "revokedAt": DT, "revokedByID": I64, "revokedByName": S(), "revocationReason": S()}),
  "Notification": OBJ(["id", "userID", "kind", "title", "body", "createdAt"], {"id": I64, "userID": I64,
      "kind": enum("applicationToReview", "complianceReview", "applicationDecided", "escalated", "grantRevoked", "objectionToAnswer", "objectionAnswered", "objectionEscalated", "openAccessToReview", "openAccessEscalated", "collectionFailing", "collectionLate"),
      "title": OBJ(["zh", "en"], {"zh": S(), "en": S()}), "body": OBJ(["zh", "en"], {"zh": S(), "en": S()}), "applicationID": I64, "grantID": I64, "objectionID": I64, "createdAt": DT, "readAt": DT}),
  "HolidayInput": OBJ(["holidays", "workdays"], {"source": NS(description="The State Council notice"),
      "holidays": {"type": "array", "items": OBJ(["name", "from", "to"], {"name": S(), "from": DATE, "to": DATE})},
      "workdays": {"type": "array", "items": DATE, "description": "Weekend days worked instead (调休上班)"}}),
})
schemas["HolidayYear"] = OBJ(["year", "source", "holidays", "workdays"], {"year": {"type": "integer"}, **schemas["HolidayInput"]["properties"], "source": S(description="The State Council notice")})
APP_STEP = lambda summary, inp: {"post": op(summary, "sharing", {"200": ok(ref("Application")), **errors(400, 401, 403, 404, 409, 422)}, inp, ID)}
YEAR = [{"name": "year", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}}]
paths.update({
  "/api/v1/applications": {
    "get": op("Applications: consumers see their department's, providers those on their entries, the operator all", "sharing", {"200": ok(lst("Application")), **errors(400, 401, 403)},
              params=[q("state", "Only applications in this state", APP_STATE)]),
    "post": op("File a draft application (consumer); 不予共享 items are refused citing the negative-list row", "sharing", {"201": ok(ref("Application"), "Created"), **errors(400, 401, 403, 422)}, ref("ApplicationInput"))},
  "/api/v1/applications/{id}": {
    "get": op("Get an application", "sharing", {"200": ok(ref("Application")), **errors(400, 401, 404)}, params=ID),
    "put": op("Change a draft or an application returned for information (consumer)", "sharing", {"200": ok(ref("Application")), **errors(400, 401, 403, 404, 409, 422)}, ref("ApplicationInput"), ID)},
  "/api/v1/applications/{id}/submit": {"post": op("Submit a draft (consumer): 无条件共享 is granted at once, otherwise review starts with a working-day deadline", "sharing", {"200": ok(ref("Application")), **errors(400, 401, 403, 404, 409, 422)}, params=ID)},
  "/api/v1/applications/{id}/resubmit": APP_STEP("Resubmit an application returned for information (consumer)", OBJ(["comment"], {"comment": S(description="What was added"), "application": ref("ApplicationInput")})),
  "/api/v1/applications/{id}/compliance-review": APP_STEP("符合性审查 (operator): pass to the provider or return", OBJ(["pass"], {"pass": {"type": "boolean"}, "comment": S(description="Mandatory to return")})),
  "/api/v1/applications/{id}/decision": APP_STEP("Provider decision: approve, approve in part (never more than asked), refuse with a reason, or return", ref("DecisionInput")),
  "/api/v1/applications/{id}/withdraw": APP_STEP("Withdraw an application not yet decided (consumer); audited as application.withdrawn", OBJ([], {"comment": S(description="Why, for the provider (optional)")})),
  "/api/v1/applications/{id}/escalate": APP_STEP("Ask for coordination: after a refusal (consumer or operator) or once the provider is overdue", OBJ([], {"comment": S()})),
  "/api/v1/applications/{id}/resolution": APP_STEP("Settle a coordination (operator); an approval compiles a grant", OBJ(["approve", "comment"], {"approve": {"type": "boolean"}, "comment": S(), "terms": ref("GrantTerms")})),
  "/api/v1/applications/{id}/history": {"get": op("Every step: who, when, from which state to which, and why", "sharing", {"200": ok(lst("ApplicationEvent")), **errors(400, 401, 404)}, params=ID)},
  "/api/v1/grants": {"get": op("Grants: consumers see theirs, providers those on their entries, the operator all", "sharing", {"200": ok(lst("Grant")), **errors(401, 403)})},
  "/api/v1/grants/{id}": {"get": op("Get a grant", "sharing", {"200": ok(ref("Grant")), **errors(400, 401, 404)}, params=ID)},
  "/api/v1/grants/{id}/revoke": {"post": op("Revoke a grant (the entry's provider or the operator); the next gateway call is refused", "sharing", {"200": ok(ref("Grant")), **errors(400, 401, 403, 404, 409)}, OBJ(["reason"], {"reason": S(maxLength=1000)}), ID)},
  "/api/v1/notifications": {"get": op("My notifications, unread first", "notifications", {"200": ok(OBJ(["unread", "items"], {"unread": {"type": "integer"}, "items": {"type": "array", "items": ref("Notification")}})), **errors(400, 401, 403)},
      params=[q("limit", "1–500, default 100", {"type": "integer", "minimum": 1, "maximum": 500})])},
  "/api/v1/notifications/{id}/read": {"post": op("Mark one of my notifications read", "notifications", {"200": ok(ref("Notification")), **errors(400, 401, 404)}, params=ID)},
  "/api/v1/holidays": {"get": op("Holiday arrangements per year (statutory holidays and 调休 workdays) that working-day limits count on", "holidays", {"200": ok(lst("HolidayYear")), **errors(401, 403)})},
  "/api/v1/holidays/{year}": {
    "get": op("One year's arrangement", "holidays", {"200": ok(ref("HolidayYear")), **errors(400, 401, 404)}, params=YEAR),
    "put": op("Create or replace a year's arrangement (operator); 201 when new", "holidays", {"200": ok(ref("HolidayYear")), "201": ok(ref("HolidayYear"), "Created"), **errors(400, 401, 403)}, ref("HolidayInput"), YEAR)},
})
HMAC_DESCRIPTION = """Signed requests of application systems, so that the secret never travels and a captured request cannot be replayed.

Send three headers:
- `X-Huitong-Timestamp`: unix time in seconds; refused when more than the node's window (default 300 s) from its clock, either way.
- `X-Huitong-Nonce`: 16–128 random characters (letters, digits, `-`, `_`), new for every request; a nonce used before by the same credential within the window is refused.
- `Authorization: HUITONG-HMAC-SM3 Credential=<key id>, Signature=<hex>` (国密), or the same with `HUITONG-HMAC-SHA256`

The signature is lower-case hex HMAC-SM3 (for HUITONG-HMAC-SHA256: HMAC-SHA256), keyed with the credential's secret (its UTF-8 bytes, `hts_…`), over these eight lines joined by `\\n` (no trailing newline):

    <the scheme: HUITONG-HMAC-SM3 or HUITONG-HMAC-SHA256>
    <key id>
    <METHOD, upper case>
    <path exactly as sent, percent-encoding included>
    <query: the &-separated parts exactly as sent, empty ones dropped, stably sorted by the name before '='; empty line if none>
    <timestamp>
    <nonce>
    <lower-case hex SM3 (for HUITONG-HMAC-SHA256: SHA-256) of the body; of nothing for an empty body>

Failures answer 401 with a code naming what failed: malformed_authorization, missing_signature_header, malformed_signature_header, timestamp_out_of_window, unknown_key (unknown, revoked or expired), system_inactive, credential_cannot_sign, signature_mismatch, replayed_nonce. During a rotation's grace period the old and the new secret both sign."""
# ---- Audit log and gateway statistics ----
HEX = S(pattern="^[0-9a-f]{64}$")
NUM = {"type": ["number", "null"]}
schemas["NodeKey"] = OBJ(["algorithm", "keyID", "publicKey", "suite", "checkpointKeys"], {"algorithm": enum("Ed25519"),
    "keyID": S(description="First 8 bytes of SHA-256 over the raw public key, hex"), "publicKey": S(description="Raw 32-byte public key, base64"),
    "suite": {**enum("gm", "intl"), "description": "The crypto suite the node writes under now"},
    "checkpointKeys": {"type": "array", "items": ref("CheckpointKey"), "description": "Every key the node's audit checkpoints may carry, the current one first"}})
schemas["CheckpointKey"] = OBJ(["algorithm", "keyID", "publicKeyPEM"], {"algorithm": enum("SM2-with-SM3", "Ed25519"),
    "keyID": S(description="First 8 bytes of the suite's hash (SM3 for SM2, SHA-256 for Ed25519) over the raw public key, hex"),
    "publicKeyPEM": S(description="SubjectPublicKeyInfo PEM; SM2 signatures use the user ID 1234567812345678 (openssl pkeyutl -verify -pubin -rawin -digest sm3 -pkeyopt distid:1234567812345678)")})
schemas["AuditEntry"] = OBJ(["sequence", "readable"], {"sequence": I64, "readable": {"type": "boolean", "description": "False when the stored row no longer decodes (changed outside the log); only unreadableColumn is then given"},
    "unreadableColumn": S(), "time": DT, "action": S(examples=["gateway.lookup", "grant.created"]), "consumerDepartmentID": I64, "applicationSystemID": I64, "userID": I64,
    "providerDepartmentID": I64, "resourceCode": S(), "grantID": I64, "purpose": S(),
    "queriedKeyHashes": {"type": "array", "items": S(), "description": "HMAC-SHA256 of each queried key under a secret derived from the node key; the keys themselves are never logged"},
    "rowsReturned": I64, "outcome": enum("allowed", "denied", "failed"), "reason": S(description="Denial or failure code"), "latencyMicroseconds": I64,
    "detail": {"type": "object", "additionalProperties": S()}, "previousHash": HEX, "hash": HEX})
schemas["AuditCheckpoint"] = OBJ(["treeSize", "rootHash", "lastEntryHash", "time", "keyID", "signature"], {"treeSize": I64, "rootHash": HEX, "lastEntryHash": HEX, "time": DT, "keyID": S(), "signature": S(description="Ed25519 signature, base64")})
schemas["AuditVerification"] = OBJ(["status", "startedAt", "finishedAt", "headSequence"], {"status": enum("ok", "failed"), "startedAt": DT, "finishedAt": DT,
    "headSequence": {**I64, "description": "Entries in the log when the run began; later ones are left for the next run"},
    "entriesChecked": I64, "checkpointsVerified": I64, "unsignedEntries": I64, "lastCheckpoint": ref("AuditCheckpoint"),
    "firstBadSequence": I64, "reason": enum("edited", "missing", "out_of_order", "inserted", "broken_link", "truncated", "head_mismatch", "checkpoint_mismatch", "bad_signature", "unknown_key", "checkpoint_out_of_order", "boundary_unproven"), "message": S()})
schemas["GatewayStatistics"] = OBJ(["groupBy", "from", "to", "groups"], {"groupBy": enum("day", "resource", "consumer"), "from": DT, "to": DT,
    "groups": {"type": "array", "items": OBJ(["key", "calls", "allowed", "denied", "failed", "rowsServed", "latencyMs"], {
        "key": S(description="Day (YYYY-MM-DD, China Standard Time), resource code or consumer department id; empty when calls named none"), "name": S(description="Consumer department name"),
        "calls": I64, "allowed": I64, "denied": I64, "failed": I64, "rowsServed": I64,
        "latencyMs": OBJ([], {"p50": NUM, "p95": NUM, "p99": NUM}, ) | {"description": "Percentiles interpolated from log-scale latency buckets (within about 9 %)"}})}})
WHEN = lambda name, desc: q(name, desc + ": a date (China Standard Time) or an ISO 8601 date-time")
paths.update({
  "/api/v1/node": {"get": op("This node's public keys: its Ed25519 node key and the keys its audit checkpoints verify with offline (SM2 under gm)", "audit", {"200": ok(ref("NodeKey"))}, security=False)},
  "/api/v1/audit/entries": {"get": op("Audit log entries, newest first (operator or auditor)", "audit",
      {"200": ok(OBJ(["items"], {"items": {"type": "array", "items": ref("AuditEntry")}, "nextBefore": {**I64, "description": "Pass as before for the next page"}})), **errors(400, 401, 403)},
      params=[q("resourceCode", "Resource code"), q("consumerDepartmentID", "Consumer department", {"type": "integer", "format": "int64"}),
              q("action", "Action, e.g. gateway.lookup"), q("outcome", "allowed, denied or failed"), WHEN("from", "From (inclusive)"), WHEN("to", "To (a date includes that day)"),
              q("before", "Only entries before this sequence number", {"type": "integer", "format": "int64"}), q("limit", "1–500, default 50", {"type": "integer", "minimum": 1, "maximum": 500})])},
  "/api/v1/audit/verification": {"get": op("Verify the hash chain and signed checkpoints (the latest result when under 5 minutes old) (operator or auditor)", "audit",
      {"200": ok(ref("AuditVerification")), **errors(401, 403)}, params=[q("refresh", "true: run a new verification now", {"type": "boolean"})])},
  "/api/v1/statistics/gateway": {"get": op("Gateway calls, outcomes, rows served and latency percentiles per group; officers see their department's calls as consumer and the calls on its resources as provider", "statistics",
      {"200": ok(ref("GatewayStatistics")), **errors(400, 401, 403)},
      params=[WHEN("from", "From (default 30 days before to)"), WHEN("to", "To (default now; a date includes that day)"), q("groupBy", "day (default), resource or consumer")])},
})

paths.update({
  "/api/v1/catalog/entries/{id}/grading-suggestions": {"get": op(
      "Suggested kind of data, security grade and masking of each data item, from up to 1,000 rows of the active pool version (first in key order), with the masking and share type the grade policy gives the suggested grade, and what they mean for the entry (就高从严); shown for the provider to confirm, never applied (the entry's provider or the operator)",
      "governance", {"200": ok(OBJ(["entryID", "poolVersion", "sampledRows", "entry", "items"], {
          "entryID": I64, "poolVersion": {"type": "integer"}, "sampledRows": {"type": "integer"},
          "entry": OBJ(["grade", "shareType", "openness"], {"grade": GRADE, "shareType": SHARE, "openness": OPEN}),
          "items": {"type": "array", "items": OBJ(["columnName", "name", "current", "suggested", "suggestedShareType", "differs"], {
              "columnName": S(), "name": S(), "differs": {"type": "boolean"}, "suggestedShareType": SHARE,
              "current": {"type": "object", "description": "semanticKind, grade, shareType and the masking the grade policy gives them, as the item has them"},
              "suggested": OBJ(["kind", "confidence", "sampled", "matched", "grade", "masking", "reason"], {
                  "kind": S(), "confidence": {"type": "number"}, "sampled": {"type": "integer"}, "matched": {"type": "integer"},
                  "grade": S(), "masking": {"type": "object"}, "reason": {"type": "object", "properties": {"zh": S(), "en": S()}}})})}})),
          **errors(401, 403, 404)}, params=ID)},
})

GRADE_RULE = OBJ(["shareType", "openness", "masking"], {
    "shareType": SHARE, "openness": OPEN,
    "masking": {**enum("none", "byKind", "all"), "description": "none; byKind = the masking policy's rule for the item's kind of data; all = hidden"},
    "encryption": {"type": ["string", "null"], "enum": ["none", "byKind", "all", None], "description": "which pool columns a gm node stores SM4-encrypted at rest: none; byKind = personal identifiers (ID number, phone, bank card, e-mail, plate); all. Left out or null, it follows masking"}})
GRADE_POLICY_INPUT = OBJ(["grades"], {"grades": {"type": "object", "description": "A rule for every grade (general1–general4, important, core); a higher grade may not be looser than a lower one in any column",
    "properties": {g: ref("GradeRule") for g in ["general1", "general2", "general3", "general4", "important", "core"]}, "additionalProperties": False}})
schemas.update({"GradeRule": GRADE_RULE, "GradePolicyInput": GRADE_POLICY_INPUT})
GRADE_POLICY = OBJ(["grades", "source"], {**GRADE_POLICY_INPUT["properties"],
    "source": {**enum("seed", "operator"), "description": "seed until an operator saves a policy"},
    "updatedAt": {"type": "string", "format": "date-time"}, "updatedBy": S()})
paths.update({
  "/api/v1/governance/grade-policy": {
    "get": op("The grade policy matrix (domain.md §4.2): per security grade, the default and loosest permitted share type and openness, and the default masking (any signed-in user)",
      "governance", {"200": ok(GRADE_POLICY), **errors(401)}),
    "put": op("Replace the grade policy matrix, checked whole (the operator); catalog entries are then held to it: an entry shared or opened more loosely than its grade allows is refused, naming the item whose grade decides",
      "governance", {"200": ok(GRADE_POLICY), **errors(400, 401, 403)}, ref("GradePolicyInput"))},
})

# E-licences (电子证照): types defined by a department, licences issued, changed and ended by their issuers.
LIC_FIELD = OBJ(["key", "label", "type", "isRequired", "isMaskedByDefault"], {
    "key": S(pattern="^[a-z][a-z0-9_]*$"), "label": S(), "type": enum("text", "date", "number", "residentID", "creditCode"),
    "isRequired": {"type": "boolean"}, "isMaskedByDefault": {"type": "boolean"}})
LIC_TYPE = OBJ(["typeCode", "name", "holderKind", "fields", "validity", "issuerCodes"], {
    "typeCode": S(description="证照类型代码: the defining department's 统一社会信用代码 and a 3-digit sequence (21 characters)"),
    "name": S(), "holderKind": enum("person", "organisation"), "fields": {"type": "array", "items": ref("LicenceField")},
    "validity": OBJ(["kind"], {"kind": enum("permanent", "years", "statedOnLicence"), "years": {"type": "integer"}}),
    "issuerCodes": {"type": "array", "items": S(), "description": "统一社会信用代码 of each issuing department"},
    "catalogClassification": S(description="编制指南 classification (目 level, e.g. 105001) under which the type is filed in the catalog as a draft entry of the definer's; left out, no entry")})
LIC_TYPE_BODY = OBJ(["type", "definerDepartmentID", "updatedAt"], {"type": ref("LicenceType"), "definerDepartmentID": I64, "updatedAt": DT,
    "catalogEntryID": {**I64, "description": "The catalog entry the type is filed as"}})
LIC_REQUEST = OBJ(["typeCode", "holderCode", "holderName", "face"], {
    "typeCode": S(), "holderCode": S(description="公民身份号码 or 统一社会信用代码, by the type's holder kind"), "holderName": S(),
    "face": {"type": "object", "additionalProperties": S(), "description": "照面 values by field key"},
    "issuedOn": S(description="YYYY-MM-DD; today when left out"), "validUntil": S(description="YYYY-MM-DD, for types whose licences state their end")})
LIC_STATUS = enum("valid", "superseded", "cancelled", "revoked", "expired")
LIC_EVENT = OBJ(["identifier", "kind", "at"], {"identifier": S(), "kind": enum("issued", "changed", "cancelled", "revoked", "expired", "collected"),
    "at": DT, "departmentID": I64, "reason": S()})
LICENCE = OBJ(["identifier", "typeCode", "holder", "face", "issuedOn", "status", "issuerDepartmentID"], {
    "identifier": S(description="电子证照标识 (GB/T 36904): 1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>"),
    "typeCode": S(), "holder": OBJ(["kind", "code", "name"], {"kind": enum("person", "organisation"), "code": S(), "name": S()}),
    "face": {"type": "object", "additionalProperties": S()}, "issuedOn": S(), "validUntil": S(), "status": LIC_STATUS,
    "previous": S(), "issuerDepartmentID": I64})
LIC_BODY = OBJ(["licence", "statusNow"], {"licence": ref("Licence"), "statusNow": LIC_STATUS, "events": {"type": "array", "items": ref("LicenceEvent")}})
schemas["LicenceBatchResult"] = OBJ(["read", "issued", "rejected"], {"read": {"type": "integer"}, "issued": {"type": "array", "items": S()},
    "rejected": {"type": "array", "items": OBJ(["row", "field", "message"], {"row": {"type": "integer"}, "field": S(), "message": S()})}})
schemas.update({"LicenceField": LIC_FIELD, "LicenceType": LIC_TYPE, "LicenceTypeBody": LIC_TYPE_BODY, "LicenceIssueRequest": LIC_REQUEST,
    "Licence": LICENCE, "LicenceEvent": LIC_EVENT, "LicenceBody": LIC_BODY})
LIC_ID = [{"name": "identifier", "in": "path", "required": True, "schema": {"type": "string"}, "description": "电子证照标识"}]
paths.update({
  "/api/v1/licence-types": {
    "get": op("Licence types (证照目录) registered on this node (any signed-in officer)", "licences", {"200": ok(lst("LicenceTypeBody")), **errors(401)}),
    "post": op("Register or change a licence type your department defines (provider officer): its type code begins with your department's 统一社会信用代码; the 照面 schema is checked whole",
      "licences", {"201": ok(ref("LicenceTypeBody"), "Registered"), **errors(400, 401, 403, 409)}, ref("LicenceType"))},
  "/api/v1/licence-types/{typeCode}/batch": {"post": {**op("Issue a sheet of licences of one type (CSV or XLSX): columns holderCode/持证主体代码, holderName/持证主体名称, issuedOn/签发日期, validUntil/有效期至 and the 照面 fields by key or label; each row is issued or refused with its problems by row and field (422 when any row was refused); at most 10,000 rows",
      "licences", {"200": ok(ref("LicenceBatchResult")), **errors(400, 401, 403, 404, 413), "422": ok(ref("LicenceBatchResult"), "Some rows were refused; the others were issued")},
      params=[{"name": "typeCode", "in": "path", "required": True, "schema": {"type": "string"}}, q("fileType", "csv or xlsx (default)")]),
      "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}}},
  "/api/v1/licence-types/{typeCode}/collection": {"post": {**op("归集: collect licences your department's own system issued before, from its export (CSV or XLSX): the batch's columns plus identifier/证照标识 (GB/T 36904, of this type with your department as issuer), issuedOn/签发日期 (required) and optionally status/状态 (有效, 注销, 吊销) and reason/原因; each row is checked (identifier's check character, type and issuer, duplicates in the sheet and in the library, holder, 照面, dates) and kept, sealed by your department's seal, or refused by row and field (422 when any row was refused)",
      "licences", {"200": ok(ref("LicenceBatchResult")), **errors(400, 401, 403, 404, 413), "422": ok(ref("LicenceBatchResult"), "Some rows were refused; the others were collected")},
      params=[{"name": "typeCode", "in": "path", "required": True, "schema": {"type": "string"}}, q("fileType", "csv or xlsx (default)")]),
      "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}}},
  "/api/v1/licences": {
    "post": op("Issue a licence (a provider officer of one of the type's issuing departments, or that department's application system with its credential): the holder is bound by the identifier of the type's holder kind, the 照面 is checked field by field, and the identifier (GB/T 36904) takes the department's next serial",
      "licences", {"201": ok(ref("LicenceBody"), "Issued"), **errors(400, 401, 403)}, ref("LicenceIssueRequest"))},
  "/api/v1/licences/{identifier}": {
    "get": op("A licence of your department with its history and its status today", "licences", {"200": ok(ref("LicenceBody")), **errors(400, 401, 403, 404)}, params=LIC_ID)},
  "/api/v1/licences/{identifier}/changes": {
    "post": op("变更: a new version replaces a valid licence of your department, which becomes superseded", "licences",
      {"201": ok(ref("LicenceBody"), "Changed"), **errors(400, 401, 403, 404, 409)},
      OBJ(["licence"], {"licence": ref("LicenceIssueRequest"), "reason": S()}), params=LIC_ID)},
  "/api/v1/licences/{identifier}/end": {
    "post": op("注销 (cancelled) or 吊销 (revoked) a valid licence of your department, with the reason every later check shows", "licences",
      {"200": ok(ref("LicenceBody")), **errors(400, 401, 403, 404, 409)},
      OBJ(["kind", "reason"], {"kind": enum("cancelled", "revoked"), "reason": S()}), params=LIC_ID)},
  "/api/v1/licences/{identifier}/package": {
    "get": op("The signed data package of a licence version of your department, with what checks it offline: the package as signed (canonical JSON, also base64), its SM3 digest, the SM2 signature (DER, base64; user ID 1234567812345678) and the seal and CA certificates (openssl verify -vfyopt distid:1234567812345678; openssl pkeyutl -verify -rawin -digest sm3)",
      "licences", {"200": ok(ref("LicencePackage")), **errors(400, 401, 403, 404)}, params=LIC_ID)},
  "/api/v1/licence-authority": {
    "get": op("The node's licence CA certificate (SM2, self-signed): the trust anchor for every seal certificate", "licences",
      {"200": ok(ref("LicenceCertificate"))}, security=False)},
  "/api/v1/licence-seals": {
    "get": op("Every electronic seal's certificate (active and retired), issued by the licence CA", "licences",
      {"200": ok(lst("LicenceSeal"))}, security=False)},
  "/api/v1/licence-verifications": {
    "post": op("Verify a licence, for anyone: by identifier, or a package someone presents with its signature (base64). Each check (package, certificate, signature, record, status) with its outcome in words, the fields altered, and the 照面 with personal fields masked; limited per client address",
      "licences", {"200": ok(ref("LicenceVerification")), **errors(400, 404, 413, 429)},
      OBJ([], {"identifier": S(description="电子证照标识"), "package": S(description="The package's bytes, base64"), "signature": S(description="The SM2 signature (DER), base64"),
               "token": S(description="A 亮证 code from a holder's QR code")}), security=False)},
  "/api/v1/federation/licence-publication": {
    "post": op("证照回流 now: send each child node the licences of holders in its region changed since it was last sent — this node's and those received from above — with their sealed packages, certificates and status (operator; also runs on the cascade schedule)",
      "federation", {"200": ok(OBJ(["sent"], {"sent": {"type": "integer"}})), **errors(401, 403)})},
  "/api/v1/licence-uses": {
    "post": op("用证: use a licence for a named matter and case (a consumer officer, or the department's application system with its credential). Needs the holder's consent or a legal basis in force for your department, the type and the matter, covering the scope, and a licence valid now; every attempt, allowed or refused, is a use record the holder sees and an audit entry",
      "licences", {"200": ok(ref("LicenceUseBody")), **errors(400, 401, 403, 404, 409)}, ref("LicenceUseRequest")),
    "get": op("Your department's use records, newest first (consumer officer)", "licences", {"200": ok(lst("LicenceUse")), **errors(401, 403)})},
  "/api/v1/licence-legal-bases": {
    "get": op("Legal bases recorded for uses without consent (operator)", "licences", {"200": ok(lst("LicenceConsent")), **errors(401, 403)}),
    "post": op("Record a legal basis: a law or regulation that lets a department use every holder's licences of a type for a matter (operator)", "licences",
      {"201": ok(ref("LicenceConsent"), "Recorded"), **errors(400, 401, 403)}, ref("LicenceConsentRequest"))},
  "/api/v1/licence-holders": {
    "post": op("Verify a portal account, named by its sign-in e-mail, as a licence holder (实名核验, operator) against the document shown: a person by the ID number they registered with, an organisation by its checked credit code; the account then sees its licences in 我的证照", "licences",
      {"200": ok(ref("LicenceHolderLink")), **errors(400, 401, 403)}, OBJ(["email", "kind", "documentCode"], {"email": S(), "kind": enum("person", "organisation"),
        "documentCode": S(description="The 公民身份号码 or 统一社会信用代码 read from the document shown; must be the one the account registered with")}))},
})
LIC_SCOPE = enum("face", "file")
schemas.update({
  "LicenceUseRequest": OBJ(["identifier", "matter", "caseNumber", "reason", "scope"], {
      "identifier": S(), "matter": S(description="事项, as the consent or legal basis names it"), "caseNumber": S(description="办件编号"),
      "reason": S(), "scope": LIC_SCOPE}),
  "LicenceUse": OBJ(["id", "identifier", "typeCode", "userDepartmentID", "matter", "caseNumber", "reason", "outcome", "at"], {
      "id": I64, "identifier": S(), "typeCode": S(), "userDepartmentID": I64, "applicationSystemID": I64, "userID": I64,
      "matter": S(), "caseNumber": S(), "reason": S(), "consentID": I64, "outcome": enum("allowed", "refused"), "refusal": S(), "at": DT}),
  "LicenceUseBody": OBJ(["use", "licence", "typeName", "statusNow"], {
      "use": ref("LicenceUse"), "licence": ref("Licence"), "typeName": S(), "statusNow": LIC_STATUS,
      "package": S(description="For a file use: the signed package"), "packageBase64": S(), "signature": S()}),
  "LicenceConsentRequest": OBJ(["typeCode", "granteeDepartmentID", "matter", "scope", "expiresOn"], {
      "typeCode": S(), "granteeDepartmentID": I64, "matter": S(), "scope": LIC_SCOPE, "expiresOn": S(description="YYYY-MM-DD, the last day in force"),
      "legalBasis": S(description="The law or regulation")}),
  "LicenceConsent": OBJ(["id", "basis", "typeCode", "granteeDepartmentID", "matter", "scope", "grantedAt", "expiresAt"], {
      "id": I64, "basis": enum("holder", "legal"), "holderKey": S(), "typeCode": S(), "granteeDepartmentID": I64, "matter": S(),
      "scope": LIC_SCOPE, "legalBasis": S(), "grantedByDeveloperID": I64, "recordedByUserID": I64, "grantedAt": DT, "expiresAt": DT, "revokedAt": DT}),
  "LicenceHolderLink": OBJ(["developerID", "kind", "verifiedAt", "verifiedByUserID"], {
      "developerID": I64, "kind": enum("person", "organisation"), "verifiedAt": DT, "verifiedByUserID": I64}),
})
LIC_CERT = OBJ(["serial", "subject", "notBefore", "notAfter", "fingerprintSM3", "certificate"], {
    "serial": S(description="Upper-case hex"), "subject": S(), "notBefore": DT, "notAfter": DT,
    "fingerprintSM3": S(description="SM3 of the DER certificate, hex"), "certificate": S(description="PEM")})
schemas.update({
  "LicenceCertificate": LIC_CERT,
  "LicenceSeal": OBJ(["serial", "departmentID", "status", "validFrom", "validUntil", "certificate"], {
      "serial": S(), "departmentID": I64, "status": enum("active", "retired"), "validFrom": DT, "validUntil": DT, "certificate": ref("LicenceCertificate")}),
  "LicencePackage": OBJ(["identifier", "package", "packageBase64", "packageSM3", "signature", "signatureAlgorithm", "sealSerial", "sealCertificate", "authorityCertificate"], {
      "identifier": S(), "package": S(description="The signed bytes as UTF-8 text (canonical JSON)"), "packageBase64": S(), "packageSM3": S(),
      "signature": S(), "signatureAlgorithm": S(), "sealSerial": S(), "sealCertificate": S(description="PEM"), "authorityCertificate": S(description="PEM")}),
  "LicenceVerification": OBJ(["valid", "checks", "face", "alteredFields"], {
      "valid": {"type": "boolean", "description": "Every check passed"}, "identifier": S(), "status": LIC_STATUS, "typeName": S(), "issuerName": S(), "holderName": S(description="Masked for a person"),
      "issuedOn": S(), "validUntil": S(),
      "checks": {"type": "array", "items": OBJ(["kind", "passed", "message"], {"kind": enum("package", "certificate", "signature", "record", "status"),
          "passed": {"type": "boolean"}, "message": OBJ(["zh", "en"], {"zh": S(), "en": S()})})},
      "face": {"type": "array", "items": OBJ(["label", "value"], {"label": S(), "value": S()})},
      "alteredFields": {"type": "array", "items": S()}}),
})

# The sharing gateway: application systems call it with their credential (bearer or HMAC signature) under a grant.
GW = [{"name": "classification", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]{6,}$"}, "description": "The part of the resource code before \"/\" (前段码), e.g. 101001"},
      {"name": "sequence", "in": "path", "required": True, "schema": {"type": "string"}, "description": "The part after \"/\" (后段码), e.g. 0001"}]
GW_ERRORS = errors(400, 401, 403, 404, 429, 502, 503)
paths.update({
  "/gateway/v1/{classification}/{sequence}/records": {"get": op(
      "Look up records by key under your grant: only granted items, masked, inside the grant's row filter. "
      "Give the key column as a parameter, repeated or comma-separated for several keys (at most 100), e.g. "
      "?sfzhm=341502199001010011,341502199202020021; composite keys give each key column the same number of values. "
      "Entries mounted as the provider's own API are answered through it, filtered and masked the same way. "
      "Every call, allowed or refused, is on the audit log before it is answered; 503 audit_unavailable means it was not served.",
      "gateway", {"200": ok(ref("GatewayRecords")), **GW_ERRORS}, params=GW)},
  "/gateway/v1/{classification}/{sequence}/verify": {"post": op(
      "Verify (核验) that a record with this key holds these values, e.g. {\"sfzhm\": \"…\", \"xm\": \"张三\"}; answers match or no match and returns no data. Every item given must be granted.",
      "gateway", {"200": ok(OBJ(["resource", "grant", "match"], {"resource": S(), "grant": I64, "match": {"type": "boolean"}})), **GW_ERRORS},
      {"type": "object", "additionalProperties": {"type": "string"}, "description": "Column name → value; the key columns and at least one other granted item"}, GW)},
  "/gateway/v1/{classification}/{sequence}/extract": {"get": op(
      "Bulk extract (批量下载) under a bulk-extract grant: every granted row, masked, streamed as CSV (UTF-8 with BOM, formulas neutralised) or NDJSON. "
      "Each row carries _watermark, which names the grant and this extract (also in the X-Huitong-Watermark header). "
      "Numbers and booleans are JSON numbers and booleans in NDJSON. `<item>.from` and `<item>.to` (inclusive) narrow the rows to a range of a number, date or date-time item the grant serves unmasked, compared by the database in the item's type (e.g. csrq.from=1990-01-01&csrq.to=1999-12-31); a range over an item stored as text until the pool's next whole load answers 409.",
      "gateway", {"200": {"description": "The rows", "content": {"text/csv": {"schema": {"type": "string"}}, "application/x-ndjson": {"schema": {"type": "string"}}}}, **GW_ERRORS, **errors(409)},
      params=GW + [q("format", "csv (default) or ndjson")])},
})
schemas.update({
  "GatewayRecords": OBJ(["resource", "grant", "count", "records"], {
      "resource": S(description="Resource code"), "grant": {**I64, "description": "The grant the records were served under"},
      "count": {"type": "integer"},
      "records": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": ["string", "null"]}, "description": "Granted items by column name, masked as the grant says"}}}),
})

# ---- Objections (数据异议): raised by officers or on the portal, answered by the provider, corrections as pool versions ----
OBJ_STATE = enum("open", "escalated", "corrected", "confirmed", "rejected", "withdrawn")
ITEM_CHANGE = OBJ(["column"], {"column": S(), "old": {"type": ["string", "null"]}, "new": {"type": ["string", "null"]}})
CONTACT = OBJ(["name"], {"name": S(maxLength=50), "phone": S(description="11-digit mobile or a landline with its area code"), "email": S(maxLength=100)})
OBJ_ANSWER = OBJ(["kind", "comment", "actorName", "at", "changes"], {"kind": enum("correct", "confirm", "reject"), "comment": S(), "actorID": I64, "actorName": S(), "at": DT,
    "poolVersion": {"type": "integer", "description": "The pool version a correction made"}, "changes": {"type": "array", "items": ITEM_CHANGE, "description": "Old → new values; masked for anyone but the provider"}})
schemas.update({
  "ObjectionInput": OBJ(["description"], {"entryID": I64, "resourceCode": S(description="Instead of entryID"),
      "recordKey": {"type": "object", "additionalProperties": S(maxLength=128), "description": "The record, by every key item: column → value; omit for the entry as a whole"},
      "items": {"type": "array", "items": S(), "description": "Column names of the items in doubt"},
      "description": S(maxLength=2000, description="No angle brackets or control characters"), "evidence": S(maxLength=4000)}),
  "Objection": OBJ(["id", "number", "entryID", "resourceCode", "providerDepartmentID", "raiser", "recordKey", "items", "description", "evidence", "state", "deadline", "overdue", "createdAt", "updatedAt"], {
      "id": I64, "number": S(examples=["YY-2026-0001"]), "entryID": I64, "resourceCode": S(), "providerDepartmentID": I64,
      "raiser": OBJ(["name"], {"userID": I64, "departmentID": I64, "name": S(), "contact": CONTACT}),
      "recordKey": {"type": "object", "additionalProperties": S(), "description": "Masked for anyone but the provider"},
      "items": {"type": "array", "items": S()}, "description": S(), "evidence": S(), "state": OBJ_STATE,
      "deadline": {**DT, "description": "When the provider's answer is due (working days)"}, "overdue": {"type": "boolean"}, "escalatedAt": DT,
      "answer": OBJ_ANSWER, "createdAt": DT, "updatedAt": DT,
      "history": {"type": "array", "items": ref("ObjectionEvent"), "description": "In the detail and after an answer"}}),
  "ObjectionEvent": OBJ(["action", "to", "actorName", "comment", "at"], {"action": enum("raise", "escalate", "correct", "confirm", "reject", "withdraw"), "from": OBJ_STATE, "to": OBJ_STATE, "actorID": I64, "actorName": S(), "comment": S(), "at": DT}),
  "ObjectionAnswerInput": OBJ(["kind"], {"kind": enum("correct", "confirm", "reject"), "comment": S(maxLength=2000, description="Mandatory to reject"),
      "values": {"type": "object", "additionalProperties": S(), "description": "For a correction: column → corrected value (key items cannot be corrected), checked like ingested values"}}),
  "PublicObjectionInput": OBJ(["resourceCode", "description", "contact"], {"resourceCode": S(maxLength=64, description="An open dataset"),
      "recordKey": {"type": "object", "additionalProperties": S(maxLength=128)}, "items": {"type": "array", "items": S()},
      "description": S(maxLength=2000), "evidence": S(maxLength=4000), "contact": CONTACT}),
  "PoolProvenance": OBJ(["entryID", "version", "objectionID", "objectionNumber", "actorName", "recordKey", "changes", "createdAt"], {
      "entryID": I64, "version": {"type": "integer"}, "objectionID": I64, "objectionNumber": S(), "actorID": I64, "actorName": S(),
      "recordKey": {"type": "object", "additionalProperties": S()}, "changes": {"type": "array", "items": ITEM_CHANGE}, "createdAt": DT}),
})
POOL_VERSION["properties"]["provenance"] = {**ref("PoolProvenance"), "description": "Why the version exists when an objection's correction made it (values masked for anyone but the provider)"}
OBJ_STEP = lambda summary, inp, codes: {"post": op(summary, "objections", {"200": ok(ref("Objection")), **errors(*codes)}, inp, ID)}
paths.update({
  "/api/v1/objections": {
    "get": op("Objections: providers see those on their entries, raisers their department's, the operator all; record values masked for all but the provider", "objections",
              {"200": ok(lst("Objection")), **errors(400, 401, 403)},
              params=[q("status", "Only objections in this state", OBJ_STATE), q("overdue", "Only open objections past their deadline", {"type": "boolean"}),
                      q("entryID", "Only objections on this entry", {"type": "integer", "format": "int64", "minimum": 1})]),
    "post": op("Raise an objection on a published entry (consumer or provider officer); its provider is told and must answer within the configured working days", "objections",
               {"201": ok(ref("Objection"), "Created"), **errors(400, 401, 403)}, ref("ObjectionInput"))},
  "/api/v1/objections/{id}": {"get": op("An objection with its whole history", "objections", {"200": ok(ref("Objection")), **errors(400, 401, 404)}, params=ID)},
  "/api/v1/objections/{id}/answer": OBJ_STEP("Answer (the entry's provider): correct (a new pool version with provenance; nothing is made if a value is invalid), confirm, or reject with a reason",
      ref("ObjectionAnswerInput"), (400, 401, 403, 404, 409, 422)),
  "/api/v1/objections/{id}/withdraw": OBJ_STEP("Withdraw an open objection (the raising department)", OBJ([], {"comment": S()}), (400, 401, 403, 404, 409)),
  "/api/v1/public/objections": {"post": op("Object to an open dataset without an account, leaving a contact; limited per client address. Returns the number and a secret to follow it (shown once)", "objections",
      {"201": ok(OBJ(["number", "trackingToken", "state", "deadline"], {"number": S(), "trackingToken": S(description="Send as X-Objection-Token to follow the objection"), "state": OBJ_STATE, "deadline": DT}), "Created"),
       **errors(400, 413, 429)}, ref("PublicObjectionInput"), security=False)},
  "/api/v1/public/objections/{number}": {"get": op("Where a portal objection stands, and the answer (values masked)", "objections",
      {"200": ok(OBJ(["number", "resourceCode", "state", "deadline", "createdAt"], {"number": S(), "resourceCode": S(), "state": OBJ_STATE, "deadline": DT, "createdAt": DT, "answer": OBJ_ANSWER})), **errors(404)},
      params=[{"name": "number", "in": "path", "required": True, "schema": S()},
              {"name": "X-Objection-Token", "in": "header", "required": True, "schema": S(), "description": "The secret given when the objection was raised"}], security=False)},
})

# ---- Data quality (domain.md §6): rules, runs, the problem queue, reports, ranking, multi-source comparison ----
DIMENSION = enum("completeness", "accuracy", "normativity", "consistency", "uniqueness", "referential", "timeliness")
BILINGUAL = {"type": "object", "properties": {"zh": S(), "en": S()}}
RULE_ID = ID + [{"name": "rule", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64", "minimum": 1}, "description": "The custom rule's number"}]
CSV_OR_JSON = lambda schema: {"description": "The report; CSV (formulas neutralised, UTF-8 with BOM) with ?format=csv or Accept: text/csv",
    "content": {"application/json": {"schema": schema}, "text/csv": {"schema": {"type": "string"}}}}
schemas.update({
  "QualityRule": OBJ(["kind", "columns"], {
      "id": S(description="Unique within the entry; default columns joined by + and the kind, e.g. xm.notNull"),
      "kind": enum("notNull", "typeAndLength", "pattern", "codeSet", "identifierCheck", "crossField", "range", "uniqueness", "referential", "freshness"),
      "columns": {"type": "array", "items": S(), "description": "Item column names; crossField takes the 身份证号 column then the date column, uniqueness one or more"},
      "dimension": {**DIMENSION, "description": "Default by kind"}, "severity": enum("notice", "warning", "error"),
      "weight": {"type": "number", "description": "Share within its dimension, above 0 and at most 100 (default 1)"},
      "pattern": S(description="pattern: regular expression the whole value must match"),
      "codeSet": S(description="codeSet: the code set's id"), "identifier": S(description="identifierCheck: residentID, creditCode, regionCode, mobilePhone, email, …"),
      "minimum": {"type": "number"}, "maximum": {"type": "number"}, "earliest": DATE, "latest": DATE,
      "referencedEntryID": {**I64, "description": "referential: the entry (with a one-item key) whose pool must hold every value"},
      "updateCycle": CYCLE}),
  "QualityCustomRule": OBJ(["id", "rule", "enabled", "createdAt", "updatedAt"], {
      "id": I64, "rule": ref("QualityRule"), "enabled": {"type": "boolean"}, "createdAt": S(format="date-time"), "updatedAt": S(format="date-time")}),
  "QualityRules": OBJ(["entryID", "derived", "custom", "effective"], {
      "entryID": I64, "derived": {"type": "array", "items": ref("QualityRule"), "description": "Implied by the items and the update cycle"},
      "custom": {"type": "array", "items": ref("QualityCustomRule")},
      "effective": {"type": "array", "items": ref("QualityRule"), "description": "What a run applies: derived plus enabled custom rules"}}),
  "QualityDimensionScore": OBJ(["dimension", "checked", "failed"], {"dimension": DIMENSION, "score": NUM, "checked": {"type": "integer"}, "failed": {"type": "integer"}}),
  "QualityRun": OBJ(["id", "entryID", "departmentID", "trigger", "status", "rowsTotal", "rowsChecked", "percent", "message", "startedAt"], {
      "id": I64, "entryID": I64, "departmentID": I64, "poolVersion": {"type": ["integer", "null"]},
      "trigger": enum("ingest", "manual", "schedule", "correction"), "status": enum("running", "succeeded", "failed"),
      "rowsTotal": {"type": "integer"}, "rowsChecked": {"type": "integer"}, "percent": {"type": "integer"},
      "score": {**NUM, "description": "Weighted entry score 0–100"}, "message": S(description="Why a run failed"),
      "startedAt": S(format="date-time"), "finishedAt": S(format="date-time"),
      "dimensions": {"type": "array", "items": ref("QualityDimensionScore")},
      "rules": {"type": "array", "description": "Detail only", "items": OBJ(["rule", "checked", "failed", "samples", "problemsTruncated"], {
          "rule": ref("QualityRule"), "checked": {"type": "integer"}, "failed": {"type": "integer"}, "passRate": NUM,
          "problemsTruncated": {"type": "boolean"}, "note": BILINGUAL,
          "samples": {"type": "array", "items": OBJ(["row", "column", "maskedValue", "reason"], {"row": {"type": "integer"}, "column": S(), "maskedValue": S(description="Masked by the item's kind"), "reason": BILINGUAL})}})}}),
  "QualityProblem": OBJ(["id", "runID", "entryID", "row", "rowKey", "ruleID", "column", "maskedValue", "reason", "status", "note"], {
      "id": I64, "runID": I64, "entryID": I64, "row": {"type": "integer", "description": "Position in the version, in key order, from 1"},
      "rowKey": S(description="Key values, masked"), "ruleID": S(), "column": S(), "maskedValue": S(), "reason": BILINGUAL,
      "status": enum("open", "handled", "ignored"), "note": S(), "handledBy": I64, "handledAt": S(format="date-time")}),
  "QualityComparisonInput": OBJ(["left", "right", "key", "items"], {
      "left": OBJ(["entryID"], {"entryID": I64}), "right": OBJ(["entryID"], {"entryID": I64}),
      "key": {"type": "array", "items": OBJ(["left", "right"], {"left": S(), "right": S()}), "description": "Each side's whole pool key, paired"},
      "items": {"type": "array", "items": OBJ(["left", "right"], {"left": S(), "right": S()})},
      "limit": {"type": "integer", "minimum": 1, "description": "Disagreeing keys to list (all are counted); capped by HUITONG_QUALITY_COMPARISON_LIMIT"}}),
  "QualityComparison": OBJ(["leftEntryID", "rightEntryID", "leftVersion", "rightVersion", "leftRows", "rightRows", "onlyInLeft", "onlyInRight", "agreeing", "disagreeing", "disagreements", "truncated"], {
      "leftEntryID": I64, "rightEntryID": I64, "leftVersion": {"type": "integer"}, "rightVersion": {"type": "integer"},
      "leftRows": {"type": "integer"}, "rightRows": {"type": "integer"}, "onlyInLeft": {"type": "integer"}, "onlyInRight": {"type": "integer"},
      "agreeing": {"type": "integer"}, "disagreeing": {"type": "integer"}, "truncated": {"type": "boolean"},
      "disagreements": {"type": "array", "items": OBJ(["key", "differences"], {"key": S(description="Masked"),
          "differences": {"type": "array", "items": OBJ(["left", "right", "leftValue", "rightValue"], {"left": S(), "right": S(), "leftValue": S(description="Masked"), "rightValue": S(description="Masked")})}})}}),
})
paths.update({
  "/api/v1/catalog/entries/{id}/quality/rules": {
    "get": op("Derived, custom and effective quality rules of an entry (its provider or the operator)", "quality", {"200": ok(ref("QualityRules")), **errors(400, 401, 403, 404)}, params=ID),
    "post": op("Add a custom rule, checked against the entry's items (unknown column, bad pattern, bad range, missing code set or related entry answer 400)", "quality",
               {"201": ok(ref("QualityCustomRule"), "Created"), **errors(400, 401, 403, 404, 409)}, ref("QualityRule"), ID)},
  "/api/v1/catalog/entries/{id}/quality/rules/{rule}": {
    "patch": op("Enable or disable a custom rule", "quality", {"200": ok(ref("QualityCustomRule")), **errors(400, 401, 403, 404)}, OBJ(["enabled"], {"enabled": {"type": "boolean"}}), RULE_ID),
    "delete": op("Remove a custom rule", "quality", {"204": {"description": "Removed"}, **errors(400, 401, 403, 404)}, params=RULE_ID)},
  "/api/v1/catalog/entries/{id}/quality/runs": {
    "get": op("The entry's runs, newest first (loads start one, as do the scheduler and this POST)", "quality", {"200": ok(lst("QualityRun")), **errors(400, 401, 403, 404)}, params=ID),
    "post": op("Run the rules over the active pool version now; answers at once, the run shows progress", "quality", {"202": ok(ref("QualityRun"), "Started"), **errors(400, 401, 403, 404)}, params=ID)},
  "/api/v1/quality/runs/{id}": {"get": op("A run with per-rule counts, masked samples and per-dimension scores", "quality", {"200": ok(ref("QualityRun")), **errors(400, 401, 403, 404)}, params=ID)},
  "/api/v1/catalog/entries/{id}/quality/problems": {"get": op("The 问题数据 queue: failing rows of the latest successful run", "quality",
      {"200": ok(OBJ(["total", "offset", "limit", "items"], {"run": ref("QualityRun"), "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"}, "items": {"type": "array", "items": ref("QualityProblem")}})), **errors(400, 401, 403, 404)},
      params=ID + [q("status", "open, handled or ignored"), q("offset", "0 or more", {"type": "integer", "minimum": 0}), q("limit", "1–1000, default 100", {"type": "integer", "minimum": 1, "maximum": 1000})])},
  "/api/v1/quality/problems/{id}": {"patch": op("Mark a problem handled or ignored (a note is required to ignore), or open again", "quality",
      {"200": ok(ref("QualityProblem")), **errors(400, 401, 403, 404)}, OBJ(["status"], {"status": enum("open", "handled", "ignored"), "note": NS(maxLength=1000)}), ID)},
  "/api/v1/catalog/entries/{id}/quality/report": {"get": op("Quality report of an entry: current score, latest run, open problems", "quality",
      {"200": CSV_OR_JSON(OBJ(["entryID", "code", "name", "departmentID", "departmentName", "openProblems"], {"entryID": I64, "code": S(), "name": S(), "departmentID": I64, "departmentName": S(), "score": NUM, "run": ref("QualityRun"), "openProblems": {"type": "integer"}})), **errors(400, 401, 403, 404)},
      params=ID + [q("format", "json (default) or csv")])},
  "/api/v1/departments/{id}/quality/report": {"get": op("Quality report of a department: its scored entries with dimension scores (its providers or the operator)", "quality",
      {"200": CSV_OR_JSON(OBJ(["departmentID", "departmentName", "entriesScored", "entries"], {"departmentID": I64, "departmentName": S(), "score": NUM, "entriesScored": {"type": "integer"},
          "timeliness": {"type": "number", "description": "0–100: the department's collection on-time rate (按时更新率) when it has scheduled sources, else the mean of its entries' timeliness scores"},
          "collection": ref("DepartmentCollectionFigures"),
          "entries": {"type": "array", "items": OBJ(["entryID", "code", "name", "runID", "finishedAt", "dimensions"], {"entryID": I64, "code": S(), "name": S(), "score": NUM, "runID": I64, "finishedAt": S(format="date-time"), "dimensions": {"type": "array", "items": ref("QualityDimensionScore")}})}})), **errors(400, 401, 403, 404)},
      params=ID + [q("format", "json (default) or csv")])},
  "/api/v1/quality/ranking": {"get": op("Departments ranked by the mean current score of their scored entries", "quality",
      {"200": ok({"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": OBJ(["rank", "departmentID", "departmentName", "score", "entriesScored"], {"rank": {"type": "integer"}, "departmentID": I64, "departmentName": S(), "score": {"type": "number"}, "entriesScored": {"type": "integer"}})}}}), **errors(401, 403)})},
  "/api/v1/quality/comparisons": {"post": op("多源比对: compare two entries' active pools on their keys, item pair by item pair; values masked (operator, or a provider for its own entries)", "quality",
      {"200": ok(ref("QualityComparison")), **errors(400, 401, 403, 404, 409)}, ref("QualityComparisonInput"))},
})

# ---- Cascade (级联, domain.md §8): peers, catalog registration upward, 回流 downward, monitoring ----
REGION = S(pattern="^[0-9]{6}$", description="GB/T 2260 region code of a node; the national platform is 000000")
LEVEL = enum("national", "province", "city", "county")
REG_STATUS = enum("registered", "withdrawn", "rejected")
MSG_KIND = enum("catalog.registration", "catalog.acknowledgement", "reflow.batch", "monitoring.report", "application.submission",
    "application.decision", "gateway.call", "gateway.result")
REGION_PATH = [{"name": "region", "in": "path", "required": True, "schema": REGION}]
schemas.update({
  "NodeIdentity": OBJ(["region", "level", "name", "algorithm", "keyID", "publicKey", "suite", "publicKeys", "keys"], {"region": REGION, "level": LEVEL, "name": S(),
      "algorithm": enum("Ed25519"), "keyID": S(), "publicKey": S(description="Ed25519 public key, base64"),
      "suite": {**enum("gm", "intl"), "description": "What this node signs cascade messages with: gm (SM2, with 回流 and routed calls encrypted with SM4) or intl (Ed25519)"},
      "publicKeys": S(description="Every key of this node as one line, what a peer's operator puts in the registration's publicKey: the Ed25519 key, then sm2: and the SM2 point in base64"),
      "keys": {"type": "array", "items": OBJ(["algorithm", "keyID", "publicKeyPEM"], {"algorithm": enum("Ed25519", "SM2-with-SM3"), "keyID": S(), "publicKeyPEM": S()})}}),
  "PeerInput": OBJ(["region", "relation", "name", "baseURL", "publicKey"], {"region": REGION,
      "relation": {**enum("parent", "child"), "description": "parent: the one platform above that this node reports to (higher level, containing this node's region); child: a platform below, inside this node's jurisdiction"},
      "name": S(minLength=1, maxLength=200), "baseURL": S(maxLength=500, description="http(s):// address the peer listens on"),
      "publicKey": S(description="The peer's public keys, one per algorithm, separated by spaces: its GET /api/v1/federation/node publicKeys (an Ed25519 key in base64; an SM2 key as sm2: and its point in base64, or as a PEM block)")}),
  "PeerChange": OBJ([], {"name": S(minLength=1, maxLength=200), "baseURL": S(maxLength=500),
      "publicKey": S(description="Replaces the registered keys, e.g. to add the SM2 key of a peer moving to 国密 before it switches")}),
  "Peer": OBJ(["region", "relation", "name", "baseURL", "publicKey", "createdAt", "updatedAt"], {"region": REGION, "relation": enum("parent", "child"),
      "name": S(), "baseURL": S(), "publicKey": S(), "createdAt": DT, "updatedAt": DT}),
  "OutboxMessage": OBJ(["id", "messageID", "kind", "origin", "destination", "nextHop", "status", "attempts", "nextAttemptAt", "createdAt", "bodyBytes"], {
      "id": I64, "messageID": S(), "kind": MSG_KIND, "origin": REGION, "destination": REGION, "nextHop": REGION,
      "status": {**enum("pending", "delivered", "failed"), "description": "failed: set aside after the configured attempts, for the operator to retry"},
      "attempts": {"type": "integer"}, "nextAttemptAt": {**DT, "description": "When the next attempt is due; for a delivered message, when it was delivered"}, "lastError": S(), "createdAt": DT, "deliveredAt": DT,
      "bodyBytes": {"type": "integer", "description": "Size of the body; the body itself (which can hold returned records) is never listed"}}),
  "RegisteredEntry": OBJ(["code", "version", "provider", "content"], {"code": S(description="The entry's code on the node that owns it"), "version": {"type": "integer"},
      "provider": OBJ(["name", "code", "regionCode"], {"name": S(), "code": S(), "creditCode": S(), "regionCode": S()}),
      "content": ref("CatalogEntryContent"), "mountKind": {**enum("table", "api", "file"), "description": "What is mounted behind the entry; never its locator"},
      "recordCount": I64, "dataUpdatedAt": DT, "publishedOn": DATE}),
  "RemoteEntry": OBJ(["id", "origin", "upperCode", "status", "registration", "registeredAt", "updatedAt"], {"id": I64, "origin": REGION,
      "upperCode": S(description="This node's code for the entry: the classification path, then the origin's region code before the sequence"),
      "status": REG_STATUS, "registration": ref("RegisteredEntry"), "registeredAt": DT, "updatedAt": DT}),
  "RegistrationRecord": OBJ(["entryCode", "reportedVersion", "reportedStatus", "reportedAt"], {"entryCode": S(), "reportedVersion": {"type": "integer"},
      "reportedStatus": REG_STATUS, "upperCode": S(description="The parent's code for the entry (code mapping), once acknowledged"),
      "acknowledgedVersion": {"type": "integer"}, "acknowledgedStatus": REG_STATUS, "reason": S(), "reportedAt": DT, "acknowledgedAt": DT}),
  "ReflowSubscriptionInput": OBJ(["entryID", "child", "regionColumn"], {"entryID": {**I64, "description": "An entry with a key item, whose active pool is returned"},
      "child": {**REGION, "description": "A node below this one, inside its jurisdiction (relayed through the registered child that contains it)"},
      "regionColumn": S(description="The item holding each record's region code, by its column name (hjd) or its Chinese name (户籍地), filtered by the child's region prefix; the column name is stored")}),
  "ReflowSubscription": OBJ(["id", "entryID", "child", "regionColumn", "createdAt"], {"id": I64, "entryID": I64, "child": REGION, "regionColumn": S(),
      "paused": {"type": "boolean", "description": "No registered child is or leads to the node (its peer was removed): scheduled runs skip it and a run answers 422 unregistered_child"},
      "lastSourceVersion": {"type": "integer", "description": "The pool version last sent in full (the watermark)"}, "lastRunID": S(), "lastRunAt": DT, "createdAt": DT}),
  "ReflowTargetInput": OBJ(["origin", "sourceCode", "entryID"], {"origin": {**REGION, "description": "The node above that sends the data, outside this node's jurisdiction"},
      "sourceCode": S(minLength=1, description="The entry's code on the sending node"), "entryID": {**I64, "description": "The local entry (with a key item) whose pool receives the records"}}),
  "ReflowTarget": OBJ(["origin", "sourceCode", "entryID", "createdAt"], {"origin": REGION, "sourceCode": S(), "entryID": I64, "createdAt": DT}),
  "ReflowRun": OBJ(["runID", "origin", "sourceCode", "sourceVersion", "entryID", "poolVersion", "rowsApplied", "appliedAt"], {"runID": S(), "origin": REGION,
      "sourceCode": S(), "sourceVersion": {"type": "integer"}, "entryID": I64, "poolVersion": {"type": "integer", "description": "The pool version the run made"},
      "rowsApplied": I64, "appliedAt": DT}),
  "ReflowPreview": OBJ(["runID", "origin", "sourceCode", "entryID", "poolVersion", "rowCount", "columns", "rows"], {"runID": S(), "origin": REGION,
      "sourceCode": S(), "entryID": I64, "poolVersion": {"type": "integer"}, "rowCount": I64,
      "columns": {"type": "array", "items": OBJ(["column", "name", "masked"], {"column": S(), "name": S(), "masked": {"type": "boolean"}})},
      "rows": {"type": "array", "items": {"type": "array", "items": {"type": ["string", "null"]}}, "description": "The first rows in key order, each value masked by its item's kind of data"}}),
  "MonitoringReport": OBJ(["node", "generatedAt", "publishedEntries", "mountedResources", "applications", "approvedApplications", "gatewayCalls"], {
      "node": OBJ(["region", "name"], {"region": REGION, "name": S()}), "generatedAt": DT, "publishedEntries": {"type": "integer"},
      "mountedResources": {"type": "integer"}, "applications": {"type": "integer"}, "approvedApplications": {"type": "integer"},
      "gatewayCalls": {**I64, "description": "Over the last 30 days"}, "averageQuality": NUM}),
  "FederationEnvelope": OBJ(["id", "kind", "origin", "destination", "from", "to", "sentAtMicroseconds", "bodyDigest"], {
      "id": S(pattern="^[A-Za-z0-9-]{8,64}$", description="With origin, makes delivery idempotent"), "kind": MSG_KIND,
      "origin": {**REGION, "description": "The node that wrote the message"}, "destination": {**REGION, "description": "The node it is for"},
      "from": {**REGION, "description": "The node that signed this hop (a registered peer)"}, "to": {**REGION, "description": "This node"},
      "sentAtMicroseconds": {**I64, "description": "When this hop was signed; refused beyond the clock tolerance (default ±900 s)"},
      "bodyDigest": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}, "description": "SHA-256 of the body's UTF-8 bytes"}}),
  "FederationMessage": OBJ(["envelope", "body", "signature"], {"envelope": ref("FederationEnvelope"),
      "body": S(description="The payload as JSON text, signed byte for byte through bodyDigest"),
      "signature": S(description="Ed25519 signature by the sending peer over the envelope's canonical bytes, base64")}),
})
FED_LIST = lambda name, summary, params=None: {"get": op(summary, "federation", {"200": ok(lst(name)), **errors(400, 401, 403)}, params=params)}
paths.update({
  "/federation/v1/messages": {"post": op(
      "Delivery point for peers: a message signed by a registered peer for this hop. It is checked (known sender, signature, recipient, clock, "
      "and that a child speaks only for its own jurisdiction), then handled here or queued for the next hop towards its destination; "
      "a message already received answers duplicate and is not handled again. Refusals are on the audit log as federation.rejected. "
      "Refusal codes: unknown_node (sender not registered), bad_signature (not signed by the registered key), bad_digest (the body is not the one "
      "the signed envelope names), key_not_registered (signed with an algorithm, e.g. SM2, for which no key of the sender is registered), "
      "not_encrypted (回流 and routed calls must arrive SM4-encrypted at a 国密 node), wrong_recipient, clock_skew (sent too long ago or ahead), malformed_message.",
      "federation", {"200": ok(OBJ(["outcome", "messageID"], {"outcome": enum("handled", "relayed", "duplicate"), "messageID": S()})),
                     **errors(400, 401, 413, 422)}, ref("FederationMessage"), security=False)},
  "/api/v1/federation/node": {"get": op("This node's place in the cascade and its public key, to register it as a peer elsewhere", "federation",
      {"200": ok(ref("NodeIdentity"))}, security=False)},
  "/api/v1/federation/peers": {
    "get": op("Registered peers: the parent and the children (operator)", "federation", {"200": ok(lst("Peer")), **errors(401, 403)}),
    "post": op("Register a peer (operator); region, relation, name, address and key are checked field by field; one parent at most", "federation",
               {"201": ok(ref("Peer"), "Created"), **errors(400, 401, 403, 409)}, ref("PeerInput"))},
  "/api/v1/federation/peers/{region}": {"delete": op("Remove a peer; its messages are refused from then on (operator)", "federation",
      {"204": {"description": "Removed"}, **errors(400, 401, 403, 404)}, params=REGION_PATH),
    "patch": op("Change a peer's name, address or keys (operator); fields left out stay as they are", "federation",
      {"200": ok(ref("Peer")), **errors(400, 401, 403, 404)}, ref("PeerChange"), params=REGION_PATH)},
  "/api/v1/federation/outbox": FED_LIST("OutboxMessage", "Messages queued for or sent to peers, newest first, without their bodies (operator)",
      [q("status", "pending, delivered or failed", enum("pending", "delivered", "failed"))]),
  "/api/v1/federation/outbox/{id}/retry": {"post": op("Queue a failed message again, due now (operator)", "federation",
      {"200": ok(ref("OutboxMessage")), **errors(400, 401, 403, 404)}, params=ID)},
  "/api/v1/federation/catalog-sync": {"post": op(
      "Register with the parent every published entry not yet reported at its version, and withdraw reported entries no longer published (目录上报) (operator); "
      "also runs on a schedule. 422 no_parent_node without a parent", "federation",
      {"200": ok(OBJ(["registered", "withdrawn", "messageIDs"], {"registered": {"type": "integer"}, "withdrawn": {"type": "integer"}, "messageIDs": {"type": "array", "items": S()}})),
       **errors(401, 403, 422)})},
  "/api/v1/federation/registrations": FED_LIST("RegistrationRecord", "What this node reported to its parent per entry, and the parent's code mapping and status (operator)"),
  "/api/v1/federation/remote-entries": {"get": op("Entries registered by the nodes below, searchable (any signed-in user)", "federation",
      {"200": ok(lst("RemoteEntry")), **errors(400, 401, 403)},
      params=[q("q", "Words to find (Chinese substrings match), every one in the name, provider or code, as in the catalog search"), q("origin", "Only entries registered by this node (region code)"),
              q("withdrawn", "true: include withdrawn entries", {"type": "boolean"})])},
  "/api/v1/federation/reflow-subscriptions": {
    "get": op("回流 subscriptions: entries whose records return to a node below (operator)", "federation", {"200": ok(lst("ReflowSubscription")), **errors(401, 403)}),
    "post": op("Return an entry's records to a node below, filtered by its region prefix (operator); one per entry and node, a repeat updates the region column", "federation",
               {"201": ok(ref("ReflowSubscription"), "Created"), **errors(400, 401, 403, 422)}, ref("ReflowSubscriptionInput"))},
  "/api/v1/federation/reflow-subscriptions/{id}": {"delete": op("Stop returning records to a node; runs already sent still arrive (operator)", "federation",
      {"204": {"description": "Deleted"}, **errors(400, 401, 403, 404)}, params=ID)},
  "/api/v1/federation/reflow-subscriptions/{id}/run": {"post": op(
      "Send the active pool now, in parts through the outbox; skipped when that version was already sent, unless force=true (operator)", "federation",
      {"200": ok(OBJ(["parts", "rows", "skipped"], {"runID": S(), "sourceVersion": {"type": "integer"}, "parts": {"type": "integer"}, "rows": {"type": "integer"}, "skipped": {"type": "boolean"}})),
       **errors(400, 401, 403, 404, 422)}, params=ID + [q("force", "true: send even an unchanged pool", {"type": "boolean"})])},
  "/api/v1/federation/reflow-targets": {
    "get": op("Which local entry receives each entry returned from above (operator)", "federation", {"200": ok(lst("ReflowTarget")), **errors(401, 403)}),
    "post": op("Name the local entry whose pool receives an entry returned from above (operator); parts that arrived before are kept waiting in the sender's outbox", "federation",
               {"201": ok(ref("ReflowTarget"), "Created"), **errors(400, 401, 403)}, ref("ReflowTargetInput"))},
  "/api/v1/federation/reflow-runs": FED_LIST("ReflowRun", "回流 runs applied to an entry's pool, newest first (operator)",
      [{"name": "entryID", "in": "query", "required": True, "schema": {"type": "integer", "format": "int64"}}]),
  "/api/v1/federation/reflow-runs/{runID}/preview": {"get": op(
      "The first rows of the pool version a 回流 run produced, masked by each item's kind of data, for the operator to check what arrived (operator)", "federation",
      {"200": ok(ref("ReflowPreview")), **errors(400, 401, 403, 404)},
      params=[{"name": "runID", "in": "path", "required": True, "schema": S()}, q("limit", "Rows to show, 1–100 (default 20)", {"type": "integer", "minimum": 1, "maximum": 100})])},
  "/api/v1/federation/monitoring": {"get": op("Running figures of this node and the latest report of each node below (运行监测) (operator)", "federation",
      {"200": ok(OBJ(["local", "children"], {"local": ref("MonitoringReport"), "children": {"type": "array", "items": ref("MonitoringReport")}})), **errors(401, 403)})},
  "/api/v1/federation/monitoring/report": {"post": op("Report this node's figures to its parent now (operator); also runs on a schedule. 422 no_parent_node without a parent", "federation",
      {"202": ok(ref("MonitoringReport"), "Queued"), **errors(401, 403, 422)})},
  "/federation/v1/calls": {"post": op(
      "Forwarded gateway calls (kind gateway.call), checked like messages, never handled twice; passed on towards the owning node or served "
      "here under the grant of the consumer's standing-in department. The answer is a message of kind gateway.result signed by this node.",
      "federation", {"200": ok(ref("FederationMessage")), **errors(400, 401, 413, 422, 502)}, ref("FederationMessage"), security=False)},
  "/api/v1/federation/applications": {
    "get": op("Applications this node's departments sent to other nodes, with the owners' decisions (a consumer sees its department's, the operator all)", "federation",
              {"200": ok(lst("OutgoingApplication")), **errors(401, 403)}),
    "post": op("Apply for an entry another node owns (跨层级申请, consumer); routed to the owner, reviewed by its provider, the decision comes back", "federation",
               {"201": ok(ref("OutgoingApplication"), "Sent"), **errors(400, 401, 403, 404)}, ref("RoutedApplicationInput"))},
  "/api/v1/federation/remote-gateway/{owner}/{classification}/{sequence}/records": {"get": op(
      "Key lookup by an application system on an entry another node owns, under an approved routed application; forwarded to the owner, "
      "which applies its grant (items, row filter, masking). Both nodes audit the call.", "federation",
      {"200": ok(OBJ(["owner", "resourceCode", "count", "records"], {"owner": REGION, "resourceCode": S(), "count": {"type": "integer"},
          "records": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": ["string", "null"]}}}})), **errors(400, 401, 403, 422, 502)},
      params=[{"name": "owner", "in": "path", "required": True, "schema": REGION},
              {"name": "classification", "in": "path", "required": True, "schema": S()}, {"name": "sequence", "in": "path", "required": True, "schema": S()},
              {"name": "key", "in": "query", "required": True, "schema": S(), "description": "A key; repeat for several; a composite key's values joined by |"}])},
})
schemas.update({
  "RoutedApplicationInput": OBJ(["owner", "resourceCode", "items", "purpose", "purposeText", "legalBasis", "scenario", "validFrom", "validTo", "expectedDailyCalls"], {
      "owner": REGION, "resourceCode": S(description="The entry's code on the owning node"), "items": {"type": "array", "items": S()},
      "purpose": PURPOSE, "purposeText": S(), "legalBasis": S(), "scenario": S(), "channel": enum("api", "bulkExtract"),
      "validFrom": DATE, "validTo": DATE, "expectedDailyCalls": {"type": "integer"}}),
  "OutgoingApplication": OBJ(["reference", "owner", "resourceCode", "consumerDepartmentID", "applicantName", "state", "createdAt", "updatedAt"], {
      "reference": S(), "owner": REGION, "resourceCode": S(), "consumerDepartmentID": I64, "applicantID": I64, "applicantName": S(),
      "draft": {"type": "object"}, "state": S(description="submitted until the owner decides, then the owner's state"),
      "decision": OBJ(["reference", "applicationNumber", "state"], {"reference": S(), "applicationNumber": S(), "state": S(), "reason": S(),
          "grant": OBJ(["grantID", "items", "validFrom", "validTo", "rateLimit", "dailyQuota"], {"grantID": I64, "items": {"type": "array", "items": S()},
              "validFrom": DATE, "validTo": DATE, "rateLimit": {"type": "integer"}, "dailyQuota": {"type": "integer"}, "rowFilterPrefix": S()})}),
      "createdAt": DT, "updatedAt": DT}),
})

# ---- The open-data API for portal developers (domain.md §7.3: documented APIs with self-service keys) ----
paths.update({
  "/api/v1/open/datasets/{reference}/rows": {"get": {**op("A page of an open dataset's rows: open items only, masked as the portal shows them. Any live developer key reads unconditionally open data; conditionally open data needs the key's developer to hold an approved application in force. Every call is audited", "open data",
      {"200": ok(OBJ(["resourceCode", "name", "version", "total", "columns", "rows"], {
          "resourceCode": S(), "name": S(), "version": {"type": "integer"}, "total": {"type": "integer", "format": "int64"},
          "columns": {"type": "array", "items": OBJ(["column", "name"], {"column": S(), "name": S()})},
          "rows": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": ["string", "null"]}}},
          "next": S(description="Pass as cursor for the next page; absent on the last page")})),
       **errors(400, 401, 403, 404, 409, 429, 503)},
      params=[{"name": "reference", "in": "path", "required": True, "schema": S(), "description": "The dataset's number or its CKAN name"},
              q("limit", "Rows per page, 1–1000 (default 100)", {"type": "integer", "minimum": 1, "maximum": 1000}),
              q("cursor", "The next token of the previous page")]),
      "security": [{"developerKey": []}]}},
})

doc = {
  "openapi": "3.1.0",
  "info": {"title": "Huitong 汇通 API", "version": "0.1.0", "description": "Government data sharing, exchange and open-data platform. Errors are {\"error\": {\"code\", \"message\", \"details\"}}."},
  "servers": [{"url": "/"}],
  "security": [{"bearer": []}, {"hmac": []}, {"session": []}],
  "components": {"securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "description": "Personal token (htu_…) or application-system credential (hts_…)"},
      "hmac": {"type": "http", "scheme": "HUITONG-HMAC-SHA256", "description": HMAC_DESCRIPTION},
      "session": {"type": "apiKey", "in": "cookie", "name": "huitong_session", "description": "Browser session; state-changing requests must also send X-CSRF-Token"},
      "developerKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "A portal developer's self-service key (hdk_…), created in the developer centre"}},
    "schemas": schemas},
  "paths": paths,
}
# The gateway's allow-list of non-public upstreams (issue 16, finding 2).
UPSTREAM_ALLOWLIST_INPUT = {"type": "object", "required": ["entries"], "properties": {"entries": {"type": "array", "maxItems": 500,
    "items": S(maxLength=300), "description": "Networks (10.20.0.0/16, fd00::/8), addresses or host names the gateway may call although they are not public"}}}
UPSTREAM_ALLOWLIST = {"type": "object", "required": ["entries"], "properties": {"entries": {"type": "array", "items": S()},
    "updatedAt": {"type": "string", "format": "date-time"}, "updatedBy": S()}}
schemas.update({"UpstreamAllowListInput": UPSTREAM_ALLOWLIST_INPUT, "UpstreamAllowList": UPSTREAM_ALLOWLIST})
paths.update({
  "/api/v1/gateway/upstream-allowlist": {
    "get": op("The non-public upstream hosts and networks mounted APIs may name (operator); empty: public addresses only",
      "gateway", {"200": ok(ref("UpstreamAllowList")), **errors(401, 403)}),
    "put": op("Replace the upstream allow-list (operator); the change is on the audit log",
      "gateway", {"200": ok(ref("UpstreamAllowList")), **errors(400, 401, 403)}, ref("UpstreamAllowListInput"))},
})

# Automated collection (归集): sources per catalog entry, tested, run by hand or on a schedule.
COL_KIND = enum("postgres", "sqlite", "dropDirectory", "httpJSON")
COL_HTTP = OBJ(["paging"], {"recordsPath": S(description="dot-separated keys to the records, e.g. data.items; by default the answer itself or its records/data/rows/result/items"),
    "paging": enum("none", "page", "offset", "cursor", "nextLink"), "pageParameter": S(), "sizeParameter": S(),
    "pageSize": {"type": "integer", "minimum": 1, "maximum": 10000}, "firstPage": {"type": "integer"},
    "nextPath": S(description="where an answer holds the next cursor or link"), "authHeader": S(description="the header the secret is sent in"),
    "timeoutSeconds": {"type": "integer", "minimum": 1, "maximum": 300}, "requestsPerSecond": {"type": "number"}})
COL_SCHEDULE = enum("manual", "entryCycle", "hourly", "daily", "weekly", "monthly", "cron")
COL_CRON = S(description="a cron schedule's five fields (minute hour day-of-month month day-of-week: *, numbers, ranges a-b, lists a,b, steps */n), in China Standard Time, e.g. '30 2 * * 1-5'")
COL_WATERMARK = OBJ(["column", "kind", "overlap"], {"column": S(), "kind": enum("increasingID", "updateTime"),
    "overlap": {"type": "integer", "format": "int64", "minimum": 0, "description": "ids, or seconds for an update time"}})
COL_MAPPING = {"type": "object", "additionalProperties": S(), "description": "source column → the entry's item column"}
COL_INPUT = OBJ(["entryID", "name", "kind", "location"], {"entryID": I64, "name": S(), "kind": COL_KIND,
    "location": S(description="postgres://user:password@host:port/database?sslmode=disable|prefer|require, or a path under HUITONG_COLLECTION_ROOTS"),
    "table": S(), "query": S(description="one read-only SELECT, instead of a table"), "columnMapping": COL_MAPPING,
    "watermark": ref("CollectionWatermark"), "schedule": COL_SCHEDULE, "cron": COL_CRON, "enabled": {"type": "boolean"},
    "http": ref("CollectionHTTPOptions"), "secret": S(description="an API source's key or token, sent in http.authHeader; sealed, never shown again")})
COL_PATCH = OBJ([], {"name": S(), "location": S(description="a PostgreSQL URL without a password keeps the saved one"),
    "table": S(), "query": S(), "columnMapping": COL_MAPPING, "watermark": ref("CollectionWatermark"),
    "removeWatermark": {"type": "boolean"}, "schedule": COL_SCHEDULE, "cron": COL_CRON, "enabled": {"type": "boolean"},
    "http": ref("CollectionHTTPOptions"), "secret": S(description="a new API secret; left out, the saved one stays")})
COL_RUN = OBJ(["id", "sourceID", "trigger", "status", "startedAt", "rowsRead", "rowsAccepted", "rowsRejected", "incremental", "files"], {
    "id": I64, "sourceID": I64, "trigger": enum("manual", "schedule"), "status": enum("running", "succeeded", "failed"),
    "ingestJobID": I64, "startedAt": DT, "finishedAt": DT, "rowsRead": I64, "rowsAccepted": I64, "rowsRejected": I64,
    "incremental": {"type": "boolean"}, "watermarkValue": S(), "failure": OBJ(["zh", "en"], {"zh": S(), "en": S()}),
    "files": {"type": "array", "items": S()}, "requestedBy": I64,
    "rowsRetired": {**I64, "description": "rows the run's key reconciliation retired (their keys vanished from the source)"}})
COL_SOURCE = OBJ(["id", "entryID", "departmentID", "name", "kind", "location", "hasPassword", "columnMapping", "schedule", "enabled", "createdAt", "updatedAt"], {
    "id": I64, "entryID": I64, "departmentID": I64, "name": S(), "kind": COL_KIND,
    "location": S(description="the password, if any, shown as ***"), "hasPassword": {"type": "boolean"},
    "table": S(), "query": S(), "columnMapping": COL_MAPPING, "watermark": ref("CollectionWatermark"),
    "watermarkValue": S(), "schedule": COL_SCHEDULE, "cron": S(), "enabled": {"type": "boolean"}, "nextRunAt": DT,
    "createdAt": DT, "updatedAt": DT, "lastRun": ref("CollectionRun"), "http": ref("CollectionHTTPOptions")})
COL_TEST = OBJ(["columns", "matchedItems", "missingItems", "sample", "files"], {"columns": {"type": "array", "items": S()},
    "matchedItems": COL_MAPPING, "missingItems": {"type": "array", "items": S()},
    "sample": {"type": "array", "items": {"type": "array", "items": S()}, "description": "at most 5 rows, masked"},
    "files": {"type": "array", "items": S(), "description": "a drop directory's files waiting to be taken"}})
schemas.update({"CollectionHTTPOptions": COL_HTTP, "CollectionWatermark": COL_WATERMARK, "CollectionSourceInput": COL_INPUT, "CollectionSourcePatch": COL_PATCH,
    "CollectionRun": COL_RUN, "CollectionSource": COL_SOURCE, "CollectionSourceTest": COL_TEST})
COL_RUN_SUMMARY = OBJ(["runID", "status", "trigger", "startedAt", "rowsRead", "rowsAccepted", "rowsRejected"], {
    "runID": I64, "status": enum("running", "succeeded", "failed"), "trigger": enum("manual", "schedule"),
    "startedAt": DT, "finishedAt": DT, "rowsRead": I64, "rowsAccepted": I64, "rowsRejected": I64,
    "durationSeconds": {"type": "number"}})
COL_STATUS = OBJ(["sourceID", "entryID", "departmentID", "name", "kind", "schedule", "enabled", "lagSeconds", "consecutiveFailures", "rowsCollected"], {
    "sourceID": I64, "entryID": I64, "departmentID": I64, "name": S(), "kind": COL_KIND, "schedule": COL_SCHEDULE,
    "cron": S(), "enabled": {"type": "boolean"}, "cycleSeconds": {"type": "number", "description": "the time between scheduled runs (a cron schedule's: between its next two runs after the last success); absent for a source run by hand"},
    "lastSuccessAt": DT, "dueAt": DT, "lagSeconds": {"type": "number", "description": "seconds past the due time, 0 when not yet due"},
    "onTime": {"type": "boolean", "description": "last success within the cycle (and a grace: HUITONG_COLLECTION_LATE_GRACE_SHARE of it, at most HUITONG_COLLECTION_LATE_GRACE_MAX_SECONDS); absent without a cycle"},
    "lastRun": ref("CollectionRunSummary"), "consecutiveFailures": {"type": "integer"},
    "lastFailure": OBJ(["zh", "en"], {"zh": S(), "en": S()}), "nextRunAt": DT,
    "rowsCollected": I64})
COL_DEPARTMENT = OBJ(["departmentID", "sources", "scheduledSources", "onTimeSources", "failingSources", "rowsCollected"], {
    "departmentID": I64, "sources": {"type": "integer"}, "scheduledSources": {"type": "integer"},
    "onTimeSources": {"type": "integer"}, "onTimeRate": {"type": "number", "description": "按时更新率, 0–1; absent without a scheduled source"},
    "failingSources": {"type": "integer"}, "rowsCollected": I64})
COL_MONITORING = OBJ(["generatedAt", "rowsCollected", "departments", "sources"], {
    "generatedAt": DT, "rowsCollected": {**I64, "description": "归集总量: rows accepted by successful runs"},
    "departments": {"type": "array", "items": ref("DepartmentCollectionFigures")},
    "sources": {"type": "array", "items": ref("CollectionSourceStatus")}})
schemas.update({"CollectionRunSummary": COL_RUN_SUMMARY, "CollectionSourceStatus": COL_STATUS,
    "DepartmentCollectionFigures": COL_DEPARTMENT, "CollectionMonitoring": COL_MONITORING})
COL_TEST_ERRORS = errors(400, 401, 403, 404, 422, 503)
paths.update({
  "/api/v1/collection-sources": {
    "get": op("Collection sources (归集源) of your department, every one for the operator, each with its last run", "collection", {"200": ok(lst("CollectionSource"))}),
    "post": op("Register a source of an entry (its provider officer or the operator): a PostgreSQL-protocol database, an SQLite file, a drop directory or an HTTP JSON API; the password or API secret is sealed and never shown again; a host must be public or on the upstream allow-list",
      "collection", {"201": ok(ref("CollectionSource"), "Registered"), **errors(400, 401, 403, 404, 422, 503)}, ref("CollectionSourceInput"))},
  "/api/v1/collection-sources/test": {
    "post": op("Test a source before it is saved: the columns found, the items they fill and 5 masked rows; a refused password or an unreachable host is a 422 saying so",
      "collection", {"200": ok(ref("CollectionSourceTest")), **COL_TEST_ERRORS}, ref("CollectionSourceInput"))},
  "/api/v1/collection-sources/{id}": {
    "get": op("A source with its last run", "collection", {"200": ok(ref("CollectionSource"))}, params=ID),
    "patch": op("Change a source (disable it with enabled: false); a new table, query or watermark column makes the next run read it whole",
      "collection", {"200": ok(ref("CollectionSource")), **errors(400, 401, 403, 404, 422, 503)}, ref("CollectionSourcePatch"), ID),
    "delete": op("Remove a source and its run history (not while it runs)", "collection", {"204": {"description": "Removed"}, **errors(401, 403, 404, 409)}, params=ID)},
  "/api/v1/collection-sources/{id}/test": {
    "post": op("Test a saved source", "collection", {"200": ok(ref("CollectionSourceTest")), **COL_TEST_ERRORS}, params=ID)},
  "/api/v1/collection-sources/{id}/runs": {
    "get": op("The source's runs, newest first: rows read, accepted and rejected, outcome and the reason of a failure", "collection", {"200": ok(lst("CollectionRun"))}, params=ID),
    "post": op("Start a run now; it is queued and answered at once (409 while another run of the source is under way, or when it is disabled)",
      "collection", {"202": ok(ref("CollectionRun"), "Started"), **errors(401, 403, 404, 409)}, params=ID)},
  "/api/v1/collection-monitoring": {
    "get": op("Collection monitoring: per source its last success, lag behind its cycle, last run and failures in a row; per department its on-time rate (按时更新率) and rows collected (归集总量). The operator sees every department, a provider officer their own",
      "collection", {"200": ok(ref("CollectionMonitoring")), **errors(401, 403)})},
})

# ---- 政务服务事项 and 一件事 (issue 23) ----
ITEM_REF = OBJ(["resourceCode", "column"], {"resourceCode": S(examples=["101001/0001"]), "column": S(examples=["sfzhm"])})
FORM_DICT = OBJ(["code", "values"], {"code": S(), "values": {"type": "array", "items": S()}})
VALUE_TYPE = enum("text", "integer", "decimal", "date", "dateTime", "boolean")
NEED = enum("must", "conditional", "optional")
FORM_ELEMENT = OBJ(["key", "label", "type", "isRequired", "role"], {
    "key": S(), "label": S(), "type": VALUE_TYPE, "maxLength": {"type": "integer"}, "isRequired": {"type": "boolean"},
    "dictionary": ref("FormDictionary"), "role": S(description="主体角色: 申请人, 法定代表人, 新生儿, 母亲 …"),
    "catalogItem": ref("ItemReference"), "standardElement": S(description="标准数据元, when no catalog item holds it"),
    "heldBy": S(description="The department that holds it (name, code or credit code), when no item does: raises a sharing demand")})
MATTER_MATERIAL = OBJ(["name", "need", "catalogItems"], {
    "name": S(), "need": NEED, "condition": S(), "form": S(), "licenceTypeCode": S(description="The e-licence type that replaces it"),
    "catalogItems": {"type": "array", "items": ref("ItemReference")}, "heldBy": S()})
MATTER_DRAFT = OBJ(["implementationCode", "name", "type", "legalBasis", "materials", "elements"], {
    "implementationCode": S(description="实施编码 (GB/T 39554.1), stored as given"), "basicCode": S(), "name": S(),
    "type": enum("licensing", "confirmation", "payment", "ruling", "reward", "publicService", "other"),
    "legalTimeLimitDays": {"type": "integer"}, "promisedTimeLimitDays": {"type": "integer"}, "legalBasis": S(description="设定依据"),
    "materials": {"type": "array", "items": ref("MatterMaterial")}, "elements": {"type": "array", "items": ref("FormElement")}})
MATTER = OBJ(["id", "departmentID", "content", "updatedAt"], {"id": I64, "departmentID": I64, "content": ref("MatterDraft"), "updatedAt": DT})
JOINT_DRAFT = OBJ(["code", "name", "matterCodes"], {
    "code": S(examples=["YJS-XSECS"]), "name": S(), "summary": S(), "matterCodes": {"type": "array", "items": S()},
    "applicationSystemID": {"type": ["integer", "null"], "format": "int64"}, "resolutions": {"type": "object", "additionalProperties": ref("FormDictionary"),
        "description": "The dictionary a person chose for a conflicting merged field, by field id"}})
MERGED_FIELD = OBJ(["id", "role", "key", "label", "type", "isRequired", "sources", "conflicts", "isPrefillable", "isReadOnly"], {
    "id": S(), "role": S(), "key": S(), "label": S(), "type": VALUE_TYPE, "maxLength": {"type": "integer"}, "isRequired": {"type": "boolean"},
    "dictionary": ref("FormDictionary"), "catalogItem": ref("ItemReference"), "standardElement": S(),
    "sources": {"type": "array", "items": OBJ(["matterCode", "key"], {"matterCode": S(), "key": S()})},
    "conflicts": {"type": "array", "items": OBJ(["kind", "message", "candidates", "isResolved"], {"kind": enum("dictionary", "valueType"),
        "message": OBJ(["zh", "en"], {"zh": S(), "en": S()}), "candidates": {"type": "array", "items": S()}, "isResolved": {"type": "boolean"}})},
    "isPrefillable": {"type": "boolean"}, "isReadOnly": {"type": "boolean"}})
MERGED_MATERIAL = OBJ(["name", "need", "catalogItems", "matterCodes"], {"name": S(), "need": NEED, "condition": S(), "licenceTypeCode": S(),
    "catalogItems": {"type": "array", "items": ref("ItemReference")}, "matterCodes": {"type": "array", "items": S()},
    "exemption": enum("licence", "sharedData")})
REDUCTION = OBJ(["elementsBefore", "elementsAfter", "elementsToFill", "prefillable", "materialsBefore", "materialsAfter", "materialsExempted", "conflicts"],
    {k: {"type": "integer"} for k in ["elementsBefore", "elementsAfter", "elementsToFill", "prefillable", "materialsBefore", "materialsAfter", "materialsExempted", "conflicts"]})
MERGED_FORM = OBJ(["fields", "materials", "report"], {"fields": {"type": "array", "items": ref("MergedField")},
    "materials": {"type": "array", "items": ref("MergedMaterial")}, "report": ref("ReductionReport")})
JOINT_VIEW = OBJ(["service", "leadDepartmentName", "matters", "form"], {
    "service": OBJ(["id", "leadDepartmentID", "content", "updatedAt"], {"id": I64, "leadDepartmentID": I64, "content": ref("JointServiceDraft"), "updatedAt": DT}),
    "leadDepartmentName": S(), "form": ref("MergedForm"),
    "matters": {"type": "array", "items": OBJ(["implementationCode", "name", "departmentName", "elements", "materials"], {
        "implementationCode": S(), "name": S(), "departmentName": S(), "elements": {"type": "integer"}, "materials": {"type": "integer"}})}})
PUBLIC_JOINT = OBJ(["code", "name", "summary", "leadDepartmentName", "matters", "form"], {
    "code": S(), "name": S(), "summary": S(), "leadDepartmentName": S(), "form": ref("MergedForm"),
    "matters": {"type": "array", "items": OBJ(["implementationCode", "name", "departmentName", "elements", "materials"], {
        "implementationCode": S(), "name": S(), "departmentName": S(), "elements": {"type": "integer"}, "materials": {"type": "integer"}})}})
PREFILL_REQUEST = OBJ(["subjects", "consent", "caseNumber"], {
    "subjects": {"type": "array", "items": OBJ(["role", "identifier"], {"role": S(), "identifier": S(description="公民身份号码 or 统一社会信用代码")})},
    "consent": {"type": "boolean", "description": "The applicant agreed that their data be fetched; without it nothing is"},
    "caseNumber": S(description="办件编号")})
PREFILLED = OBJ(["service", "caseNumber", "consented", "fields", "materials", "report", "filled"], {
    "service": S(), "caseNumber": S(), "consented": {"type": "boolean"}, "filled": {"type": "integer"},
    "fields": {"type": "array", "items": OBJ(["field"], {"field": ref("MergedField"), "value": S(), "source": enum("sharedData", "licence"),
        "origin": S(description="The resource code or licence identifier read"), "note": OBJ(["zh", "en"], {"zh": S(), "en": S()})})},
    "materials": {"type": "array", "items": ref("MergedMaterial")}, "report": ref("ReductionReport")})
SHEET_ISSUE = OBJ(["row", "column", "message"], {"row": {"type": "integer"}, "column": S(), "message": S()})
MATTER_IMPORT = OBJ(["dryRun", "saved", "rejected", "errors", "demandsRaised"], {"dryRun": {"type": "boolean"},
    "saved": {"type": "array", "items": S()}, "rejected": {"type": "array", "items": S()},
    "errors": {"type": "array", "items": SHEET_ISSUE}, "demandsRaised": {"type": "array", "items": S(description="需求编号")}})
schemas.update({"ItemReference": ITEM_REF, "FormDictionary": FORM_DICT, "FormElement": FORM_ELEMENT, "MatterMaterial": MATTER_MATERIAL,
    "MatterDraft": MATTER_DRAFT, "Matter": MATTER, "JointServiceDraft": JOINT_DRAFT, "MergedField": MERGED_FIELD,
    "MergedMaterial": MERGED_MATERIAL, "ReductionReport": REDUCTION, "MergedForm": MERGED_FORM, "JointServiceView": JOINT_VIEW, "PublicJointService": PUBLIC_JOINT,
    "PrefillRequest": PREFILL_REQUEST, "PrefilledForm": PREFILLED, "MatterImportReport": MATTER_IMPORT})
CODE = [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}]
JOINT_INPUT = OBJ(["jointService"], {"jointService": ref("JointServiceDraft"), "leadDepartmentID": I64})
paths.update({
  "/api/v1/matters": {
    "get": op("政务服务事项: every matter, or one department's (any signed-in officer)", "matters", {"200": ok(lst("Matter")), **errors(401)},
      params=[q("department", "Implementing department id", {"type": "integer", "format": "int64", "minimum": 1})]),
    "post": op("Save a matter (new or changed) of your department, or of the one the operator names: its elements and materials with their links to catalog items and licence types, which must exist; an element or material another department holds but nobody shares raises a sharing demand tagged with the matter",
      "matters", {"201": ok(OBJ(["matter", "demandsRaised"], {"matter": ref("Matter"), "demandsRaised": {"type": "array", "items": S()}}), "Saved"), **errors(400, 401, 403, 409)},
      OBJ(["matter"], {"matter": ref("MatterDraft"), "departmentID": I64}))},
  "/api/v1/matters/import": {"post": {**op("Import a 办事指南 sheet (CSV or XLSX): one row per form element (行类型 要素) or material (材料), the matter's columns on its first row; a matter with a problem on any row is not saved, the others are, and every problem is reported by row and column (422 when any); ?dryRun=true checks without saving",
      "matters", {"200": ok(ref("MatterImportReport")), **errors(400, 401, 403, 413), "422": ok(ref("MatterImportReport"), "Some matters were refused; the others were saved")},
      params=[q("fileType", "csv or xlsx (default)"), q("dryRun", "true: check only", {"type": "boolean"})]),
      "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}}},
  "/api/v1/matters/{code}": {
    "get": op("A matter by its implementation code", "matters", {"200": ok(ref("Matter")), **errors(401, 404)}, params=CODE),
    "delete": op("Delete a matter no joint service joins", "matters", {"204": {"description": "Deleted"}, **errors(401, 403, 404, 409)}, params=CODE)},
  "/api/v1/joint-services": {
    "get": op("一件事 with their merged forms, materials and reductions (public, as the portal shows them)", "matters", {"200": ok(lst("PublicJointService"))}, security=False),
    "post": op("Compose or change a joint service your department leads (the operator may name the lead): the matters must exist, the accepting system must be the lead department's",
      "matters", {"201": ok(ref("JointServiceView"), "Saved"), **errors(400, 401, 403, 409)}, JOINT_INPUT)},
  "/api/v1/joint-services/preview": {
    "post": op("The merged form and reduction of matters not yet saved as a joint service (the builder's preview)", "matters",
      {"200": ok(ref("MergedForm")), **errors(400, 401)}, JOINT_INPUT)},
  "/api/v1/joint-services/{code}": {
    "get": op("A joint service with its merged form (public)", "matters", {"200": ok(ref("PublicJointService")), **errors(404)}, params=CODE, security=False),
    "delete": op("Delete a joint service your department leads", "matters", {"204": {"description": "Deleted"}, **errors(401, 403, 404)}, params=CODE)},
  "/api/v1/joint-services/{code}/prefill": {
    "post": op("Fill in the merged form for an application whose applicant consented (the joint service's accepting system with its credential, or a consumer officer of the lead department): values from the pools the system is granted (masked, each read a gateway entry on the audit log) and from the subjects' e-licences through 用证 (each a use record); without consent nothing is fetched and the form comes back empty",
      "matters", {"200": ok(ref("PrefilledForm")), **errors(400, 401, 403, 404, 409)}, ref("PrefillRequest"), CODE)},
})

out = pathlib.Path(__file__).resolve().parent.parent / "Sources/HuitongServer/Resources/openapi.json"
out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
print(f"wrote {out}")
