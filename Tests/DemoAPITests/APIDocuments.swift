// The demo API's JSON documents, decoded strictly so a renamed or retyped field fails a test.

struct UserDocument: Decodable, Equatable {
    var id: Int
    var name: String
    var email: String
    var created_at: String
}

struct UserEnvelope: Decodable {
    var data: UserDocument
}

struct UserListEnvelope: Decodable {
    struct Meta: Decodable, Equatable {
        var page: Int
        var per_page: Int
        var total: Int
    }

    var data: [UserDocument]
    var meta: Meta
}

struct ErrorEnvelope: Decodable {
    struct Detail: Decodable, Equatable {
        var field: String
        var message: String
    }

    struct Body: Decodable {
        var code: String
        var message: String
        var details: [Detail]?
    }

    var error: Body
}
