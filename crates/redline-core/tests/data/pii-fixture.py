"""Writes pii-fixture.jsonl: personal data in the formats real text carries it (support mail,
CRM notes, config snippets, forms), and look-alikes that are not personal data. Values with
checksums are made valid here (Luhn, mod 97); everything else is written by hand. A span to
redact is marked [[like this]]. Run: python3 pii-fixture.py > pii-fixture.jsonl"""
import json, re

def luhn_complete(body):
    for d in "0123456789":
        s = body + d
        tot = 0
        for i, c in enumerate(reversed(s)):
            v = int(c)
            if i % 2 == 1:
                v *= 2
                if v > 9: v -= 9
            tot += v
        if tot % 10 == 0:
            return s
def iban(cc, bban):
    num = "".join(str(int(c, 36)) for c in (bban + cc + "00"))
    return cc + "%02d" % (98 - int(num) % 97) + bban
def group(s, n=4, sep=" "):
    return sep.join(s[i:i+n] for i in range(0, len(s), n))

visa = luhn_complete("453201511283036"); mc = luhn_complete("545762389125434"); amex = luhn_complete("37828224631000")
disc = luhn_complete("601100099013942"); visa2 = luhn_complete("401288888888188")
de = iban("DE", "500105175407324931"); gb = iban("GB", "NWBK60161331926819"); fr = iban("FR", "30006000011234567890189")
nl = iban("NL", "ABNA0417164300"); es = iban("ES", "21000418450200051332")

items = {
"EMAIL": [
 "Please reply to [[maria.kowalski@example.org]] by Friday.",
 "CC: [[j.doe+billing@corp.example.co.uk]]; the rest of the team is on the thread.",
 "Contact: [[SUPPORT@Example.COM]]",
 "From: Dana <[[dana_ops@mail.example.net]]>",
 "He wrote from his personal address ([[tom1987@gmail.com]]), not the work one.",
 "\"email\": \"[[li.wei@example.cn]]\",",
],
"PHONE": [
 "Call me on [[020 7946 0958]] after 3pm.",
 "Her mobile is [[+44 7700 900123]].",
 "US office: [[(415) 555-0134]], ext. 12",
 "You can reach the clinic at [[415-555-0199]].",
 "Numéro : [[+33 1 23 45 67 89]]",
 "Tel. [[030 12345678]] (Berlin office)",
 "WhatsApp [[+49 151 23456789]] works best.",
 "phone: [[4155550123]]",
 "Ring [[+1 (212) 555-0147]] if the portal is down.",
 "Please call [[0161 496 0734]] to rebook.",
],
"CARD": [
 f"Card number {group(visa)} exp 04/28",
 f"paid with {group(mc, 4, '-')} yesterday",
 f"Amex [[{amex[:4]} {amex[4:10]} {amex[10:]}]] on file",
 f"qty 2 [[{group(visa2)}]] was charged twice",
 f"{disc}",
 f"The card [[{visa}]], CVV withheld.",
],
"IBAN": [
 f"IBAN: [[{group(de)}]] (Sparkasse)",
 f"Please transfer to [[{gb}]] by Monday.",
 f"iban {group(fr)} then send the receipt",
 f"Konto [[{nl}]], BIC ABNANL2A",
 f"refund to [[{group(es)}]].",
],
"IP": [
 "The request came from [[203.0.113.42]] at 09:14.",
 "ssh admin@[[198.51.100.7]]",
 "whitelist [[10.12.0.0/16]] and [[2001:db8:85a3::8a2e:370:7334]]",
 "client_ip=[[192.0.2.146]];",
],
"MAC": [
 "Device [[3C:22:FB:0A:1B:7E]] keeps dropping off the Wi-Fi.",
 "mac address [[a4-5e-60-c2-19-0d]]",
 "Interface [[0050.56c0.0008]] is up",
],
"CRYPTO": [
 "Send the refund to [[1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2]] please.",
 "BTC: [[bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4]]",
 "wallet [[0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed]] (ERC-20)",
 "P2SH [[3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy]]",
],
"SSN": [
 "SSN: [[536-22-1234]]",
 "her social security number is [[536 22 1234]]",
 "ssn [[536221234]] on the W-4",
],
"SECRET": [
 "password: [[hunter22]]",
 "{\"api_key\": \"[[a8f5f167f44f4964e6c998dee827110c]]\"}",
 "DB_PASSWORD=[[s3cr3t-Pa55]]",
 "export GITHUB_TOKEN=[[ghp_16C7e42F292c6912E7710c838347Ae178B4a]]",
 "aws_secret_access_key = [[wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY]]",
 "Use [[AKIAIOSFODNN7EXAMPLE]] for the staging bucket.",
 "stripe key [[sk_live_4eC39HqLyjWDarjtT1zdp7dc]]",
 "Slack webhook: [[https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX]]",
 "openai: [[sk-proj-Abc123Def456Ghi789Jkl012Mno345]]",
 "ANTHROPIC_API_KEY=[[sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789]]",
 "Authorization: Bearer [[eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U]]",
 "[[-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi\n-----END RSA PRIVATE KEY-----]]",
 "db:\n  password: \"[[correct horse battery]]\"",
 "postgres://[[app:Sup3rS3cret@db.internal:5432/prod]]",
 "google maps key [[AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q]]",
 "https://api.example.com/v1/export?[[token=9f8e7d6c5b4a]]",
],
"PERSON": [
 "Please ask [[Jennifer Martinez]] to approve it.",
 "Dear [[Robert]], thank you for your patience.",
 "Mr. [[Okonkwo]] will call back tomorrow.",
 "Spoke with Dr. [[Priya Raman]] about the results.",
 "My name is [[Kevin O'Brien]] and I manage the account.",
 "Hi [[Sarah]], the invoice is attached.",
 "Forwarded by [[Michael Thompson]] on Tuesday.",
 "Ms [[Nakamura]] asked for a refund.",
 "Regards,\n[[Emily Johnson]]",
 "Thanks, [[David]]",
 "the customer, [[Linda Garcia]], reported the outage",
 "Assigned to [[Christopher Lee]].",
 "Prof. [[Hannah Schmidt]] signed the form.",
 "Meeting notes from [[Anthony Davis]] and [[Jessica Wilson]].",
],
"ADDRESS": [
 "Ship it to [[221 Baker Street]], please.",
 "She lives at [[1600 Pennsylvania Avenue, Washington, DC 20500]].",
 "Return address: [[42 Elm St., Apt 3B, Springfield, IL 62704]]",
 "Lieferadresse: [[Hauptstraße 5, 10115 Berlin]]",
 "The office moved to [[350 Fifth Ave]] last year.",
 "Send documents to [[PO Box 1234]].",
 "Postcode [[SW1A 1AA]]",
 "[[17 Rosewood Drive]] is the billing address.",
],
"BIRTH_DATE": [
 "DOB: [[1985-03-12]]",
 "born on [[12 March 1985]] in Leeds",
 "Date of birth: [[03/12/1985]]",
 "birthday [[July 4, 1990]]",
 "geboren am [[12.03.1985]]",
],
"NATIONAL_ID": [
 "Passport number: [[X12345678]]",
 "passport no. [[C03005988]]",
 "NI number [[AB 12 34 56 C]]",
 "PAN [[ABCPD1234Z]] for the TDS form",
 "Aadhaar [[4991 1866 5246]]",
 "driver's license [[D1234-56789-01234]]",
 "ITIN [[912-80-3456]]",
],
}
# Whole-value cards/IBANs written without markers: the number itself is the span.
auto = {visa: group(visa), mc: group(mc, 4, '-'), disc: disc, fr: group(fr)}

clean = [
 "Order 1234567890123456 shipped on 2026-11-20 for $1,299.00.",
 "Revenue grew 12.5% to 4,250,000 in Q3; 3 of 4 steps are done.",
 "Version 2.1.0 of the policy, page 12, section 4.3.",
 "Call the operations lead tomorrow at 9:30 about invoice 2024-001.",
 "The ratio is 3:2 and the meeting is on 2026-12-04 at 14:00.",
 "ISBN 978-0-306-40615-7 is out of print.",
 "Tracking number 1Z999AA10123456784 shows it in transit.",
 "Ticket #48213 was closed on 12/03/2026.",
 "The build 20261203.4 passed; release 4.2.17 follows.",
 "Invoice INV-2026-00482 totals EUR 3,480.50.",
 "Use the key: consistency matters more than speed.",
 "The token count was 4096 and max_tokens=8192.",
 "token_type: bearer",
 "The password is incorrect; please reset it.",
 "Your password must have at least 12 characters.",
 "Grace period ends in May.",
 "Will you send the report by Friday?",
 "The Sales Team met in Paris on Monday.",
 "Georgia Tech won the bid.",
 "Contact the Customer Success team for help.",
 "Mark the item as done.",
 "Hope this helps.",
 "Brown paper and green tape.",
 "The meeting on March 12, 2026 was moved.",
 "Started on 12 March 2025, finished in April.",
 "Deadline: 2026-01-15.",
 "Call 911 in an emergency.",
 "Room 101, building 4.",
 "We shipped 1,250 units in 14 days.",
 "Temperature rose from 18.5 to 21.3 degrees.",
 "The SKU is AB-1234-XY.",
 "Reference 000-00-0000 is a placeholder.",
 "Use std::vector and MyClass::toString here.",
 "Time 12:34:56 in UTC.",
 "Colour #ff00aa for the button.",
 "The ratio 1:2:3:4 holds.",
 "Model number XR-2200, serial 55-1234.",
 "Price: $19.99 (was $24.99).",
 "Q3 2026 planning, FY27 budget.",
 "See RFC 4291 section 2.5.5.",
 "The SHA-256 is 8f953371d3e85eddb89b05ed6b9e680791055315c73e1025ab5dba7bb2aee189.",
 "Commit 3f9e2c1 fixed it.",
 "Our hotline number is in the footer.",
 "The zip file is 12 MB.",
 "Page 3 of 14.",
 "The lease runs 2024-2027.",
 "Route 66 is closed.",
 "Flight BA 117 leaves at 18:25.",
 "Table 4.2 lists the results.",
 "Step 1: open the app. Step 2: sign in.",
 "UUID 123e4567-e89b-12d3-a456-426614174000 identifies the job.",
 "The ratio was 0.75 and p = 0.032.",
 "Part number 4111-2222 is back in stock.",
 "We met the Johnson account team.",
 "The Washington office closes early.",
 "Dear customer, thank you for your order.",
 "Hi team, the release is out.",
 "Thanks, everyone!",
 "Regards,\nThe Support Team",
 "Mr. Clean is a brand.",
 "April showers bring May flowers.",
 "The Smith chart shows impedance.",
 "Main Street Capital is a fund.",
 "5 Things to Know",
 "Chapter 12 Street Photography",
 "The file is at /home/user/docs/report.pdf",
 "Call it version 10.0.19041.1",
 "Use port 8080 on localhost.",
 "In 1985 the company was founded.",
 "Our birthday sale starts on December 1.",
 "The MAC address format is six groups of two hex digits.",
 "Set PASSWORD_MIN_LENGTH to 12.",
 "api_key: <your key here>",
 "Enter your password: ",
 "The key is to listen.",
 "Total: 4,111,111,111 views.",
 "Call +1 for the US country code.",
 "The 12345 area is large.",
 "A 16-digit reference 4000 1234 5678 9011 failed the check.",
]

def emit(kind, text, spans):
    print(json.dumps({"type": kind, "text": text, "spans": spans}, ensure_ascii=False))

for kind, texts in items.items():
    for t in texts:
        spans = []
        out = ""
        pos = 0
        for m in re.finditer(r"\[\[(.*?)\]\]", t, re.S):
            out += t[pos:m.start()]
            s = len(out.encode())
            out += m.group(1)
            spans.append([s, len(out.encode())])
            pos = m.end()
        out += t[pos:]
        if not spans:
            for v in auto.values():
                i = out.find(v)
                if i >= 0:
                    spans.append([len(out[:i].encode()), len(out[:i].encode()) + len(v.encode())])
        assert spans, t
        emit(kind, out, spans)
for t in clean:
    emit("CLEAN", t, [])
