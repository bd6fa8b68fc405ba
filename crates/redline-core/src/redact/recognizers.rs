//! The recognizers: one function per kind of personal data or secret, each confirming a
//! regular expression's match by checksums, shapes and context (the patterns are in `mod.rs`).

use super::*;

/// The whole match (or its group 1 when there is one) as the finding.
pub(super) fn whole(kind: Kind) -> impl Fn(&Captures) -> (usize, usize, Kind) {
    move |c| {
        let m = c.get(1).unwrap_or_else(|| c.get(0).expect("match"));
        (m.start(), m.end(), kind)
    }
}

pub(super) fn secret(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    Some(whole(Kind::ApiKey)(c))
}
pub(super) fn secret_url(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let t = m.as_str().trim_end_matches(['.', ',', ')', ';', '\'', '"']);
    Some((m.start(), m.start() + t.len(), Kind::SecretUrl))
}
pub(super) fn private_key(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    Some(whole(Kind::PrivateKey)(c))
}
pub(super) fn email(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    Some(whole(Kind::Email)(c))
}

/// Labelled secrets: the value only, and only when it looks like one. After a password label
/// any word of 4+ characters is taken; after a key or token label the value must be 8+
/// characters with a digit, or 16+ (so `token_type: bearer` and `max_tokens=4096` stay).
pub(super) fn labelled_secret(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let label = c.name("label")?.as_str().to_ascii_lowercase();
    let v = c.name("q1").or(c.name("q2")).or(c.name("v"))?;
    let value = v.as_str();
    let password = ["pass", "pwd"].iter().any(|p| label.contains(p));
    let ok = if password {
        value.chars().count() >= 4
    } else {
        let n = value.chars().count();
        (n >= 8 && value.chars().any(|c| c.is_ascii_digit())) || n >= 16
    };
    // "The password is incorrect": after "is" a plain word is prose, not a password.
    let prose = c
        .name("sep")
        .is_some_and(|s| s.as_str().eq_ignore_ascii_case("is"))
        && value.chars().all(|c| c.is_ascii_lowercase());
    if !ok || prose || value.starts_with('<') {
        return None;
    }
    Some((v.start(), v.end(), Kind::ApiKey))
}

pub(super) fn crypto(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let s = m.as_str();
    let ok = if s.starts_with("0x") {
        checks::eip55(s)
    } else if s.to_ascii_lowercase().starts_with("bc1") {
        checks::bech32(s)
    } else {
        checks::base58check(s)
    };
    ok.then_some((m.start(), m.end(), Kind::Crypto))
}

/// The groups of a grouped number ("4111 1111 1111 1111"): byte spans of its runs of
/// letters and digits.
pub(super) fn groups(s: &str, base: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphanumeric() {
            let j = (i..b.len())
                .find(|&j| !b[j].is_ascii_alphanumeric())
                .unwrap_or(b.len());
            out.push((base + i, base + j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// The best run of whole groups of a match that passes `ok`: a card or an IBAN written next
/// to another number ("qty 2 4111 …") or a word ("… 3000 then"), or several in a row. Runs
/// with one kind of separator throughout are preferred, then longer ones, then the leftmost.
pub(super) fn best_window(
    text: &str,
    c: &Captures,
    kind: Kind,
    ok: impl Fn(&str) -> bool,
) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let gs = groups(m.as_str(), m.start());
    let uniform = |i: usize, j: usize| {
        let seps: Vec<&str> = (i..j).map(|k| &text[gs[k].1..gs[k + 1].0]).collect();
        seps.windows(2).all(|w| w[0] == w[1])
    };
    let mut best: Option<(bool, usize, usize, usize)> = None;
    for i in 0..gs.len() {
        for j in i..gs.len() {
            let (s, e) = (gs[i].0, gs[j].1);
            if e - s > 48 {
                break;
            }
            let score = (uniform(i, j), e - s);
            if best.is_some_and(|(u, l, _, _)| (u, l) >= score) {
                continue;
            }
            if ok(&text[s..e]) {
                best = Some((score.0, score.1, s, e));
            }
        }
    }
    best.map(|(_, _, s, e)| (s, e, kind))
}

/// How card numbers are grouped when they are: fours (the last group shorter), or 4-6-5 and
/// 4-6-4 (American Express, Diners).
pub(super) fn card_grouping(s: &str) -> bool {
    let gs: Vec<usize> = s
        .split([' ', '-'])
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    match gs.as_slice() {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [init @ .., last] => init.iter().all(|&g| g == 4) && (1..=4).contains(last),
        [] => false,
    }
}

pub(super) fn card(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let found = best_window(text, c, Kind::Card, |s| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
            && card_grouping(s)
            && checks::luhn(s)
    })?;
    // A book or product number (ISBN-13 and EAN-13 start 978/979) or one labelled as an
    // order or reference is not a card.
    let digits: String = text[found.0..found.1]
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let label = before(text, found.0, 16);
    let book = (digits.len() == 13 && (digits.starts_with("978") || digits.starts_with("979")))
        || has_word(&label, &["isbn", "ean", "gtin"]);
    (!book).then_some(found)
}

pub(super) fn iban(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    best_window(text, c, Kind::Iban, checks::iban_valid)
}

pub(super) fn aadhaar(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    // Not groups of a longer colon-, dash- or dot-separated value (an IPv6 address, a MAC); a
    // full stop after it ends the sentence.
    let sep = |c: char| c == ':' || c == '-' || c == '.';
    let mut after = text[m.end()..].chars();
    let glued_after =
        after.next().is_some_and(sep) && after.next().is_some_and(|c| c.is_ascii_alphanumeric());
    if text[..m.start()].chars().next_back().is_some_and(sep) || glued_after {
        return None;
    }
    checks::aadhaar(m.as_str()).then_some((m.start(), m.end(), Kind::NationalId))
}

/// The lower-cased text of up to `n` bytes before `at`.
pub(super) fn before(text: &str, at: usize, n: usize) -> String {
    let mut s = at.saturating_sub(n);
    while !text.is_char_boundary(s) {
        s += 1;
    }
    text[s..at].to_lowercase()
}

/// Labels that say a number is something other than a person's id.
pub(super) const NOT_PERSONAL: [&str; 16] = [
    "order",
    "invoice",
    "ticket",
    "tracking",
    "ref",
    "reference",
    "sku",
    "isbn",
    "part",
    "po",
    "case",
    "item",
    "batch",
    "serial",
    "build",
    "shipment",
];

/// Whether one of `words` is a whole word of `label`.
pub(super) fn has_word(label: &str, words: &[&str]) -> bool {
    label
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| words.contains(&w))
}

/// Nine digits: a social security or taxpayer number by its issuing rules, unless a label
/// just before says it is something else (an order, an invoice…). Written with dashes, dots or
/// spaces the shape is taken as the label.
pub(super) fn nine_digits(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let s = m.as_str();
    let grouped = !s.bytes().all(|b| b.is_ascii_digit());
    let label = before(text, m.start(), 24);
    if !grouped && has_word(&label, &NOT_PERSONAL) {
        return None;
    }
    if label.contains("passport") {
        return Some((m.start(), m.end(), Kind::NationalId));
    }
    if checks::ssn(s) {
        Some((m.start(), m.end(), Kind::Ssn))
    } else if checks::itin(s) {
        Some((m.start(), m.end(), Kind::NationalId))
    } else {
        None
    }
}

pub(super) fn nino(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    checks::nino(m.as_str()).then_some((m.start(), m.end(), Kind::NationalId))
}

pub(super) fn national_id(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let v = c.name("v").or(c.get(0))?;
    let s = v.as_str().trim_end_matches([' ', '-']);
    (s.bytes().filter(u8::is_ascii_digit).count() >= 4).then_some((
        v.start(),
        v.start() + s.len(),
        Kind::NationalId,
    ))
}

/// A 10-character code of capitals and digits holding a letter and four digits in a row.
/// Not after a label such as order, invoice or ticket (as for ungrouped nine-digit numbers).
pub(super) fn pan_shape(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    if has_word(&before(text, m.start(), 24), &NOT_PERSONAL) {
        return None;
    }
    let b = m.as_str().as_bytes();
    let letter = b.iter().any(u8::is_ascii_uppercase);
    let four = b.windows(4).any(|w| w.iter().all(u8::is_ascii_digit));
    (letter && four).then_some((m.start(), m.end(), Kind::NationalId))
}

pub(super) fn mac(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    // Not the middle of an IPv6 address or a longer hex run.
    let after = text[m.end()..].bytes().next();
    let glued = matches!(after, Some(b':' | b'-'))
        && text[m.end() + 1..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_hexdigit());
    // The broadcast and the null address name no device.
    let hex: String = m.as_str().chars().filter(char::is_ascii_hexdigit).collect();
    let no_device = hex.eq_ignore_ascii_case("ffffffffffff") || hex == "000000000000";
    (!glued && !no_device).then_some((m.start(), m.end(), Kind::Mac))
}

/// An IPv4 address, with its CIDR suffix when that is valid.
pub(super) fn ipv4(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let addr = c.name("addr")?;
    let after = text[m.end()..].bytes().next();
    if after.is_some_and(|b| b.is_ascii_alphanumeric()) && c.name("cidr").is_none() {
        return None;
    }
    match c.name("cidr") {
        Some(p) if p.as_str().parse::<u32>().is_ok_and(|n| n <= 32) => {
            Some((m.start(), m.end(), Kind::Ip))
        }
        _ => Some((addr.start(), addr.end(), Kind::Ip)),
    }
}

/// An IPv6 address (any compression, embedded IPv4, zone, CIDR), checked by the standard
/// library's parser; not glued to a word ("std::cout", "fe80::1text").
pub(super) fn ipv6(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let addr = c.name("addr")?;
    // A sentence's full stop is not part of the address.
    let a = addr.as_str().trim_end_matches('.');
    let addr_end = addr.start() + a.len();
    let prev = text[..m.start()].chars().next_back();
    if prev.is_some_and(|p| p.is_alphanumeric() || p == ':' || p == '.' || p == '_') {
        return None;
    }
    let (zone, cidr) = if a.len() < addr.as_str().len() {
        (None, None)
    } else {
        (c.name("zone"), c.name("cidr"))
    };
    let end = match (zone, cidr) {
        (_, Some(p)) if p.as_str().parse::<u32>().is_ok_and(|n| n <= 128) => m.end(),
        (Some(z), _) => z.end(),
        _ => addr_end,
    };
    let rest = &text[end..];
    let mut next = rest.chars();
    match next.next() {
        Some(n) if n.is_alphanumeric() || n == '_' || n == ':' => return None,
        Some('.') if next.next().is_some_and(|d| d.is_ascii_digit()) => return None,
        _ => {}
    }
    a.parse::<std::net::Ipv6Addr>().ok()?;
    Some((m.start(), end, Kind::Ip))
}

/// Countries whose national formats are tried for a number without `+`: those Presidio
/// tries, and a few more.
pub(super) const PHONE_REGIONS: [phonenumber::country::Id; 12] = {
    use phonenumber::country::Id::*;
    [US, GB, DE, FR, IL, IN, CA, BR, AU, ES, IT, NL]
};

/// A phone number: an international number (`+`) or a national one written with separators
/// or parentheses, valid by libphonenumber's metadata for its country; a bare run of digits
/// only after a word such as "phone", "call" or "tel". Dates, times and versions are not.
pub(super) fn phone(text: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let s = m.as_str().trim_end_matches([' ', '-', '.', '/']);
    let end = m.start() + s.len();
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    let prev = text[..m.start()].chars().next_back();
    if prev.is_some_and(|p| p.is_alphanumeric() || p == '.' || p == '-' || p == '/') {
        return None;
    }
    if text[end..]
        .chars()
        .next()
        .is_some_and(|n| n.is_alphanumeric())
    {
        return None;
    }
    let international = s.starts_with('+');
    let separated = s
        .bytes()
        .any(|b| matches!(b, b' ' | b'-' | b'.' | b'(' | b')'));
    let label = before(text, m.start(), 24);
    let labelled = [
        "phone", "call", "tel", "mobile", "cell", "fax", "whatsapp", "text me", "sms", "ph:",
        "ph.", "contact", "reach",
    ]
    .iter()
    .any(|w| label.contains(w));
    if !(international || (separated && digits >= 9) || (labelled && digits >= 7)) {
        return None;
    }
    if !international && DATE_LIKE.with(|d| d.is_match(s)) {
        return None;
    }
    // National numbers are written in groups of two or more digits ("10.0.19041.1" and
    // "20261203.4" are versions and builds).
    let digit_groups: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    if !international && digit_groups.iter().any(|g| g.len() < 2) {
        return None;
    }
    if !international && !labelled {
        // Without a label: a date inside ("84 06.06.2012"), or thousands separators
        // ("960.000.000"), is not a phone number; and the number must look like one: a
        // trunk 0, an area code in parentheses, or a last group of four digits ("129 130 131"
        // is a list).
        if DATE_INSIDE.with(|d| d.is_match(s)) {
            return None;
        }
        let thousands = digit_groups.len() > 1 && digit_groups[1..].iter().all(|g| g.len() == 3);
        if thousands && !s.contains(['(', '-', '/']) {
            return None;
        }
        let looks = s.starts_with('0')
            || s.starts_with('(')
            || digit_groups.last().is_some_and(|g| g.len() >= 4);
        if !looks {
            return None;
        }
    }
    let valid = if international {
        // Written with its country code, a number of eight or more digits is a phone number
        // even in a range not yet assigned (the drama ranges, new mobile blocks).
        digits >= 8 && phonenumber::parse(None, s).is_ok()
    } else {
        PHONE_REGIONS
            .iter()
            .any(|r| phonenumber::parse(Some(*r), s).is_ok_and(|n| phonenumber::is_valid(&n)))
    };
    valid.then_some((m.start(), end, Kind::Phone))
}

thread_local! {
    static DATE_INSIDE: Regex = Regex::new(r"(?-u:\b)\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b").expect("valid pattern");
    static DATE_LIKE: Regex = Regex::new(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?|\d{3}[- ]\d{2}[- ]\d{4})$").expect("valid pattern");
}

pub(super) fn birth_date(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let v = c.name("date")?;
    Some((v.start(), v.end(), Kind::BirthDate))
}

pub(super) fn address(_: &str, c: &Captures) -> Option<(usize, usize, Kind)> {
    let m = c.get(0)?;
    let t = m.as_str().trim_end_matches([',', ' ']);
    Some((m.start(), m.start() + t.len(), Kind::Address))
}

/// Month names for dates of birth.
pub(super) const MONTHS: &str = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?";

/// Street types for addresses.
pub(super) const STREETS: &str = r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Square|Sq|Highway|Hwy|Circle|Close|Crescent|Row|Gardens)";
