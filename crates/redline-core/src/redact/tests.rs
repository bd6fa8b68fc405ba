use super::*;
use proptest::prelude::*;

#[test]
fn each_kind_is_found_and_placeholders_are_consistent() {
    let mut r = Redactor::new();
    let text = "Mail dana@example.com or call +1 415 555 0134; card 4111 1111 1111 1111, \
                IBAN DE89 3704 0044 0532 0130 00, server 10.0.0.12, SSN 536-22-1234, \
                https://user:hunter2@db.example.com/x and key sk-proj-abcdefghijklmnopqrstuvwx. \
                Again: dana@example.com.";
    let out = r.redact(text);
    for leaked in [
        "dana@example.com",
        "555 0134",
        "4111",
        "DE89",
        "10.0.0.12",
        "536-22-1234",
        "hunter2",
        "sk-proj",
    ] {
        assert!(!out.contains(leaked), "{leaked} in {out}");
    }
    assert_eq!(out.matches("<EMAIL_1>").count(), 2, "{out}");
    assert!(out.contains("<CARD_1>") && out.contains("<IBAN_1>") && out.contains("<SSN_1>"));
    assert!(
        out.contains("<IP_1>") && out.contains("<URL_WITH_SECRET_1>") && out.contains("<SECRET_1>")
    );
    assert!(out.contains("<PHONE_1>"), "{out}");
    assert_eq!(r.counts[&Kind::Email], 2);
}

#[test]
fn ordinary_numbers_and_words_are_left_alone() {
    for text in [
        "Order 1234567890123456 shipped on 2026-11-20 for $1,299.00.",
        "Revenue grew 12.5% to 4,250,000 in Q3; 3 of 4 steps are done.",
        "Version 2.1.0 of the policy, page 12, section 4.3.",
        "Call the operations lead tomorrow at 9:30 about invoice 2024-001.",
        "The ratio is 3:2 and the IDs are 000-00-0000 and 999-12-3456.",
    ] {
        let mut r = Redactor::new();
        assert_eq!(r.redact(text), text, "changed: {:?}", r.counts);
    }
}

#[test]
fn a_pan_out_of_its_usual_order_is_redacted_but_a_labelled_code_is_not() {
    let mut r = Redactor::new();
    let out = r.redact("PAN on file: A1111DFSFS, and B2222XYZWQ.");
    assert!(
        !out.contains("A1111DFSFS") && !out.contains("B2222XYZWQ"),
        "{out}"
    );
    for text in [
        "Your order ORD2024117 is now ORDX202411 in the ticket queue.",
        "Ticket TK20241120 was merged into invoice INV2024001.",
        "Words such as August1989 or post-1980s are kept.",
    ] {
        let mut r = Redactor::new();
        assert_eq!(r.redact(text), text, "changed: {:?}", r.counts);
    }
    // The cost, documented in docs/export.md: an unlabelled code of the same shape goes too.
    assert_eq!(
        Redactor::new().redact("Use SUMMER2024."),
        "Use <ID_NUMBER_1>."
    );
}

fn card_with_luhn(prefix: u64, body: u64) -> String {
    let digits = format!("{}{:011}", prefix, body % 100_000_000_000);
    // Append the Luhn check digit.
    for check in 0..10 {
        let candidate = format!("{digits}{check}");
        if luhn(&candidate) {
            return candidate;
        }
    }
    unreachable!()
}

proptest! {
    #[test]
    fn generated_emails_cards_and_ibans_never_survive(
        user in "[a-z][a-z0-9._]{0,12}[a-z0-9]", domain in "[a-z]{2,10}", tld in "(com|org|de|io|co\\.uk)",
        prefix in 4000u64..4999, body in any::<u64>(), before in "[A-Za-z ,.]{0,30}", after in "[A-Za-z ,.]{0,30}",
        bank in 10_000_000u64..99_999_999, account in 0u64..9_999_999_999,
    ) {
        let email = format!("{user}@{domain}.{tld}");
        let card = card_with_luhn(prefix, body);
        // A German IBAN with a correct check number.
        let bban = format!("{bank:08}{account:010}");
        let check = 98 - {
            let s = format!("{bban}131400");
            s.chars().fold(0u64, |r, c| (r * 10 + c.to_digit(10).unwrap() as u64) % 97)
        };
        let iban = format!("DE{check:02}{bban}");
        prop_assert!(iban_valid(&iban), "{}", iban);
        let text = format!("{before} {email} {after} {card} {before} {iban} {after}");
        let out = Redactor::new().redact(&text);
        prop_assert!(!out.contains(&email), "{}", out);
        prop_assert!(!out.contains(&card), "{}", out);
        prop_assert!(!out.contains(&iban), "{}", out);
    }
}

/// An IPv4 address, a MAC, a phone number in one of its national shapes, a social
/// security number, an Aadhaar number and a titled name, each in random text.
fn verhoeff_complete(body: &str) -> String {
    (0..10)
        .map(|d| format!("{body}{d}"))
        .find(|c| checks::verhoeff(c))
        .expect("one check digit fits")
}

proptest! {
    #[test]
    fn generated_values_of_each_kind_never_survive(
        a in 1u8..=254, b in 0u8..=255, c in 0u8..=255, d in 1u8..=254,
        mac in proptest::collection::vec(0u8..=255, 6),
        area in 201u32..=989, exchange in 200u32..=999, line in 1000u32..=9999,
        ssn_area in 1u32..=665, ssn_group in 1u32..=99, ssn_serial in 1u32..=9999,
        aadhaar in 20_000_000_000u64..99_999_999_999,
        surname in proptest::sample::select(vec!["Okafor", "Lindqvist", "Tanaka", "Moreau", "Kowalczyk"]),
        title in proptest::sample::select(vec!["Dr.", "Ms", "Mr.", "Prof."]),
        before in "[a-z ,.]{0,30}", after in "[a-z ,.]{0,30}",
    ) {
        prop_assume!(checks::ssn(&format!("{ssn_area:03}{ssn_group:02}{ssn_serial:04}")));
        let ip = format!("{a}.{b}.{c}.{d}");
        let mac = mac.iter().map(|x| format!("{x:02X}")).collect::<Vec<_>>().join(":");
        prop_assume!(mac != "FF:FF:FF:FF:FF:FF" && mac != "00:00:00:00:00:00");
        // 555-01xx is the fictional block; any other valid NANP number.
        let phone = format!("({area}) {exchange}-{line:04}");
        let ssn = format!("{ssn_area:03}-{ssn_group:02}-{ssn_serial:04}");
        let aadhaar = verhoeff_complete(&aadhaar.to_string());
        prop_assume!(checks::aadhaar(&aadhaar));
        let aadhaar = format!("{} {} {}", &aadhaar[..4], &aadhaar[4..8], &aadhaar[8..]);
        let name = format!("{title} {surname}");
        let text = format!("{before} host {ip}, {after} device {mac}; call {phone} {before}. SSN {ssn}, Aadhaar {aadhaar}. {name} {after}");
        let out = Redactor::new().redact(&text);
        for v in [&ip, &mac, &ssn, &aadhaar, &surname.to_string()] {
            prop_assert!(!out.contains(v.as_str()), "{} in {}", v, out);
        }
        // A phone number libphonenumber calls invalid (an unassigned area code) may stay.
        let valid = phonenumber::parse(Some(phonenumber::country::Id::US), &phone)
            .is_ok_and(|n| phonenumber::is_valid(&n));
        prop_assert!(!valid || !out.contains(&phone), "{} in {}", phone, out);
    }

    #[test]
    fn any_text_is_redacted_without_panic_on_char_boundaries(text in "\\PC{0,200}") {
        for (s, e, _) in find(&text) {
            prop_assert!(s < e && text.is_char_boundary(s) && text.is_char_boundary(e));
        }
    }
}
