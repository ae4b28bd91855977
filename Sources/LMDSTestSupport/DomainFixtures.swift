import Domain
import LMDSJSON

/// Commands and the taxonomy that tests of the core and the daemon share.
public enum DomainFixtures {
    /// The embedded Leiden taxonomy.
    public static let leiden: Taxonomy = { try! Taxonomy(json: try! JSONParser.parse(Taxonomy.embedded["leiden"]!)) }()

    /// A question submission numbered `number`, without contact details, in the Stevenshof.
    public static func submit(_ number: Int, description: String = "Beschrijving") -> Command {
        .question(.submit(SubmitQuestion(
            title: "Vraag \(number)", description: description, requesterKind: "resident", organisation: nil,
            contact: ContactDetails(name: nil, email: nil, phone: nil), neighbourhood: "Stevenshof", themes: [], disciplines: [], levels: [],
            window: nil, size: nil)))
    }
}
