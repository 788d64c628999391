// The public home and the officers' sign-in page (`AuthPages`), named as their templates' keys (see `PageModel`).

struct HomePage: PageModel {
    var departmentCount: Int
    var userCount: Int
}

struct LoginPage: PageModel {
    /// The double-submit token the form echoes.
    var formToken: String
    var username: String
    var next: String
    var error: String?
}
