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
DEPT_Q = [{"name": "departmentID", "in": "query", "required": False, "schema": {"type": "integer", "format": "int64"}}]

def op(summary, tag, responses, request=None, params=None, security=True):
    o = {"summary": summary, "tags": [tag], "responses": responses}
    if request: o["requestBody"] = body(request)
    if params: o["parameters"] = params
    if not security: o["security"] = []
    return o

paths = {
  "/healthz": {"get": op("Liveness and database check", "system", {"200": ok(ref("Health")), "503": ok(ref("Health"), "Database unreachable")}, security=False)},
  "/metrics": {"get": op("Prometheus metrics", "system", {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}}, security=False)},
  "/api/openapi.json": {"get": op("This document", "system", {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}, security=False)},
  "/api/v1/auth/login": {"post": op("Sign in; sets the session cookie and returns the CSRF token", "auth", {"200": ok(ref("LoginResult")), **errors(400, 401, 403)}, ref("LoginInput"), security=False)},
  "/api/v1/auth/logout": {"post": op("End the current session", "auth", {"204": {"description": "Signed out"}, **errors(401, 403)})},
  "/api/v1/me": {"get": op("The signed-in user and department", "auth", {"200": ok(ref("Me")), **errors(401, 403)})},
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
    "post": op("Create a personal API token; the secret is shown once", "tokens", {"201": ok(ref("CreatedToken"), "Created"), **errors(400, 401, 403)}, ref("TokenInput"))},
  "/api/v1/tokens/{id}": {
    "delete": op("Revoke a personal API token", "tokens", {"200": ok(ref("APIToken")), **errors(401, 403, 404)}, params=ID)},
  "/api/v1/application-systems": {
    "get": op("List application systems (officers see their own department)", "application-systems", {"200": ok(lst("ApplicationSystem")), **errors(401, 403)}, params=DEPT_Q),
    "post": op("Register an application system (consumer or operator)", "application-systems", {"201": ok(ref("ApplicationSystem"), "Created"), **errors(400, 401, 403, 409, 422)}, ref("SystemInput"))},
  "/api/v1/application-systems/{id}": {
    "get": op("Get an application system", "application-systems", {"200": ok(ref("ApplicationSystem")), **errors(400, 401, 403, 404)}, params=ID),
    "patch": op("Change or deactivate an application system", "application-systems", {"200": ok(ref("ApplicationSystem")), **errors(400, 401, 403, 404, 409)}, ref("SystemInput"), ID),
    "delete": op("Delete an application system and its credentials", "application-systems", {"204": {"description": "Deleted"}, **errors(401, 403, 404)}, params=ID)},
  "/api/v1/application-systems/{id}/tokens": {
    "get": op("List an application system's credentials", "application-systems", {"200": ok(lst("APIToken")), **errors(401, 403, 404)}, params=ID),
    "post": op("Issue a credential for an application system; the secret is shown once", "application-systems", {"201": ok(ref("CreatedToken"), "Created"), **errors(400, 401, 403, 404, 409)}, ref("TokenInput"), ID)},
  "/api/v1/application-systems/{id}/tokens/{tokenID}": {
    "delete": op("Revoke an application system's credential", "application-systems", {"200": ok(ref("APIToken")), **errors(401, 403, 404)},
                 params=ID + [{"name": "tokenID", "in": "path", "required": True, "schema": {"type": "integer", "format": "int64"}}])},
}

S = lambda **p: {"type": "string", **p}
I64 = {"type": "integer", "format": "int64"}
DT = {"type": "string", "format": "date-time"}
ROLE = {"type": "string", "enum": ["operator", "provider", "consumer", "auditor"]}
schemas = {
  "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
      "code": S(examples=["validation_failed"]), "message": S(), "details": {"type": "array", "items": {"type": "object", "required": ["field", "message"], "properties": {"field": S(), "message": S()}}}}}}},
  "Health": {"type": "object", "required": ["status", "version", "backend", "database"], "properties": {"status": S(enum=["ok", "unavailable"]), "version": S(), "backend": S(enum=["sqlite", "postgres"]), "database": S()}},
  "LoginInput": {"type": "object", "required": ["username", "password"], "properties": {"username": S(), "password": S(format="password")}},
  "LoginResult": {"type": "object", "required": ["user", "csrfToken", "expiresAt"], "properties": {"user": ref("User"), "csrfToken": S(description="Send as X-CSRF-Token on state-changing requests that use the session cookie"), "expiresAt": DT}},
  "Me": {"type": "object", "required": ["user"], "properties": {"user": ref("User"), "department": ref("Department")}},
  "Department": {"type": "object", "required": ["id", "name", "code", "regionCode", "createdAt", "updatedAt"], "properties": {
      "id": I64, "name": S(), "code": S(), "creditCode": S(description="统一社会信用代码, GB 32100"), "regionCode": S(description="行政区划代码, GB/T 2260", pattern="^[0-9]{6}$"),
      "parentID": I64, "createdAt": DT, "updatedAt": DT}},
  "DepartmentInput": {"type": "object", "properties": {"name": S(maxLength=100), "code": S(pattern="^[A-Za-z0-9_-]{1,32}$"), "creditCode": S(minLength=18, maxLength=18), "regionCode": S(pattern="^[0-9]{6}$"), "parentID": I64}},
  "User": {"type": "object", "required": ["id", "username", "displayName", "departmentID", "roles", "isActive", "createdAt"], "properties": {
      "id": I64, "username": S(), "displayName": S(), "departmentID": I64, "roles": {"type": "array", "items": ROLE}, "isActive": {"type": "boolean"}, "createdAt": DT, "lastLoginAt": DT}},
  "CreateUserInput": {"type": "object", "required": ["username", "displayName", "departmentID", "roles"], "properties": {
      "username": S(pattern="^[a-z][a-z0-9._-]{2,39}$"), "displayName": S(maxLength=50), "departmentID": I64, "roles": {"type": "array", "items": ROLE, "minItems": 1}, "password": S(format="password", minLength=10, description="Omit to have one generated and returned once")}},
  "UpdateUserInput": {"type": "object", "properties": {"displayName": S(maxLength=50), "departmentID": I64, "roles": {"type": "array", "items": ROLE}, "isActive": {"type": "boolean"}}},
  "CreatedUser": {"type": "object", "required": ["user"], "properties": {"user": ref("User"), "password": S(description="Generated password, shown once")}},
  "PasswordInput": {"type": "object", "properties": {"currentPassword": S(format="password"), "newPassword": S(format="password", minLength=10)}},
  "PasswordResult": {"type": "object", "properties": {"password": S(description="Generated password, shown once")}},
  "TokenInput": {"type": "object", "required": ["name"], "properties": {"name": S(maxLength=100), "expiresAt": DT}},
  "APIToken": {"type": "object", "required": ["id", "owner", "name", "hint", "createdAt"], "properties": {
      "id": I64, "owner": {"type": "object", "description": "{\"user\": {\"_0\": id}} or {\"system\": {\"_0\": id}}"}, "name": S(), "hint": S(description="First characters of the secret"), "createdAt": DT, "expiresAt": DT, "revokedAt": DT, "lastUsedAt": DT}},
  "CreatedToken": {"type": "object", "required": ["token", "secret"], "properties": {"token": ref("APIToken"), "secret": S(description="Bearer secret, shown once")}},
  "ApplicationSystem": {"type": "object", "required": ["id", "departmentID", "name", "description", "isActive", "createdAt"], "properties": {
      "id": I64, "departmentID": I64, "name": S(), "description": S(), "isActive": {"type": "boolean"}, "createdAt": DT}},
  "SystemInput": {"type": "object", "properties": {"name": S(maxLength=100), "description": S(maxLength=2000), "departmentID": I64, "isActive": {"type": "boolean"}}},
}

doc = {
  "openapi": "3.1.0",
  "info": {"title": "Huitong 汇通 API", "version": "0.1.0", "description": "Government data sharing, exchange and open-data platform. Errors are {\"error\": {\"code\", \"message\", \"details\"}}."},
  "servers": [{"url": "/"}],
  "security": [{"bearer": []}, {"session": []}],
  "components": {"securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "description": "Personal token (htu_…) or application-system credential (hts_…)"},
      "session": {"type": "apiKey", "in": "cookie", "name": "huitong_session", "description": "Browser session; state-changing requests must also send X-CSRF-Token"}},
    "schemas": schemas},
  "paths": paths,
}
out = pathlib.Path(__file__).resolve().parent.parent / "Sources/HuitongServer/Resources/openapi.json"
out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
print(f"wrote {out}")
