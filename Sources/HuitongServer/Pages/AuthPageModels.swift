// The officers' sign-in page (`AuthPages`), named as its template's keys (see `PageModel`).

struct LoginPage: PageModel {
    /// The double-submit token the form echoes.
    var formToken: String
    var username: String
    var next: String
    var error: String?
}
