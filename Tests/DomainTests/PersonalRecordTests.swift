import Domain
import LMDSJSON
import Testing

/// The personal table's records and the hash that stands in for a text in the log.
struct PersonalRecordTests {
    /// The hash of a text is SHA-256 over its UTF-8 bytes in lowercase hex (the known vector of "abc", and a Dutch text with "ë").
    @Test func textHashIsSHA256OfUTF8BytesInLowercaseHex() {
        #expect(PersonalRecord.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(PersonalRecord.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let dutch = PersonalRecord.sha256Hex("Gebeld met de bewonersgroep; ze willen pas na de zomer starten (Noë).")
        #expect(dutch.count == 64 && dutch == dutch.lowercased())
        #expect(dutch != PersonalRecord.sha256Hex("Gebeld met de bewonersgroep; ze willen pas na de zomer starten (Noe)."))
    }

    /// A stored text reads back exactly; contact details are not mistaken for a text.
    @Test func storedTextReadsBackExactly() {
        let text = "Bos- en Gasthuisdistrict, ë"
        #expect(PersonalRecord.text(from: PersonalRecord.text(text).json) == text)
        #expect(PersonalRecord.text(from: PersonalRecord.contact(ContactDetails(name: "A", email: nil, phone: nil)).json) == nil)
    }
}
