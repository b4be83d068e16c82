//! `privacy/name`: patients named in a health story (HIPAA identifier 1).
//!
//! ## What it does
//! Reports a person's name when it is tied to a diagnosis, treatment, stay or
//! outcome: "our patient Maria Lopez", "Mr. Chen, 67, …", "Dana beat
//! leukemia", "Jorge Ramirez was admitted". A capitalised run counts as a
//! person only with a title (Mr., Mrs., Ms.), a common given name, or a story
//! cue right before or after it; it is reported when that cue or a health
//! word is in its sentence or the next. Not reported: staff with credentials
//! or roles ("Dana Whitfield, RN", "Dr. Patel", "Sara, the dietitian") or
//! listed in `privacy.allow.staff`; sentence starts, months, days,
//! organisations ("Example Hospital", "Saint Mary's Medical Center"),
//! eponyms ("Parkinson's disease"), and any name when `consent:` is set.
//!
//! ## Why
//! Naming a patient together with their health is the plainest disclosure of
//! PHI; it needs the patient's written authorization.

use super::{Context, found, re};
use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

pub(super) const CODE: &str = "privacy/name";
pub(super) const SUMMARY: &str =
    "patient named together with a diagnosis, treatment, stay or outcome";

const HELP: &str = "remove the name or use a first initial, or add `consent:` to the front matter when the patient gave written authorization; staff: add credentials (\"Dana Whitfield, RN\") or list them in `privacy.allow.staff`";

/// Runs of capitalised words, optionally with middle initials.
static RUN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b\p{Lu}\p{Ll}+(?:[\-'’]\p{Lu}\p{Ll}+)?(?:[ \t]+(?:\p{Lu}\.[ \t]+)?(?:(?:de|del|da|van|von|bin|al)[ \t]+)?\p{Lu}\p{Ll}+(?:[\-'’]\p{Lu}\p{Ll}+)?)*\b",
    )
});
static TITLE_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Mister)\.?\s+$"));
static STAFF_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:dr|doctor|nurse|pharmacist|dietitian|dietician|surgeon|chaplain|prof|professor|midwife|therapist|physician|cardiologist|oncologist|pediatrician|paediatrician|coach|director|manager|volunteer|educator|ceo|president|by|says|said|according\s+to|donor|sponsor|speaker|author|chef|mayor|senator|governor|host|artist|guest|rev|reverend|pastor|rabbi|imam)\.?,?\s+$",
    )
});
static CREDENTIAL_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^,?\s*(?:RN|MD|DO|PharmD|NP|PA-C|PA|PhD|MPH|DNP|CNM|LPN|BSN|MSN|RD|RDN|CDE|CDCES|DDS|DMD|DPT|OT|LCSW|MSW|FNP|APRN|CRNA|FACC|FACP|FACS|MBA|LD|CNA|EMT|IBCLC)\b|^,\s+(?:our|a|the|an)\s+(?:\w+\s+){0,3}?(?:nurse|doctor|physician|pharmacist|dietitian|surgeon|therapist|director|manager|midwife|educator|volunteer|chaplain|coordinator|specialist|cardiologist|oncologist|pediatrician|counselor|counsellor|paramedic|technician|coach|ceo|president|chief)\b|^\s+(?:says|said|explains|explained|recommends|advises|notes|leads|teaches|discuss|discusses|present|presents|hosts|will\s+(?:lead|teach|speak|answer|discuss|present|host))\b",
    )
});
static CUE_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:\s*,\s*(?:\d{1,3}|a\s+\d{1,3}-year-old(?:\s+\w+)?)\s*,|\s*,\s*who)?\s*(?:(?:was|is|has|had|got|were|has\s+been|had\s+been|will\s+be)\s+)?(?:(?:just|recently|finally|successfully|bravely|now|first|still)\s+)?(?:diagnosed|admitted|born\s+(?:at|early|premature|prematurely|with|weighing)|discharged|treated|hospitali[sz]ed|beat|beaten|battled|battling|fought|fighting|survived|underwent|undergoing|recovering|recovered|passed\s+away|died|spent\s+\w+\s+(?:days|weeks|months|nights)|came\s+(?:in|to\s+(?:the|our)\s+(?:er|emergency|hospital|clinic))|arrived\s+(?:at|in)\s+(?:the|our)\s+(?:er|emergency|hospital|icu)|was\s+rushed|rushed\s+to|delivered|gave\s+birth|suffered|collapsed|overdosed|relapsed|tested\s+positive|started\s+(?:chemo|dialysis|treatment|therapy|insulin|rehab)|completed\s+(?:chemo|treatment|therapy|rehab|radiation)|finished\s+(?:chemo|treatment|therapy|rehab|radiation)|rang\s+the\s+(?:chemo\s+)?bell|in\s+remission|living\s+with|lives\s+with|had\s+(?:(?:a|an|her|his|their)\s+)?(?:\w+\s+)?(?:surgery|stroke|heart\s+attack|transplant|baby|seizure|operation|amputation|mastectomy|biopsy|procedure|fall|fracture)|learned\s+(?:she|he|they)\s+had|needed\s+(?:a|an)\s+\w+|woke\s+up\s+from)\b|^(?:'s|’s)\s+(?:\w+\s+){0,2}?(?:surgery|diagnosis|cancer|tumou?r|recovery|treatment|stroke|transplant|chemo\w*|stay|journey|fight|battle|heart\s+attack|baby|birth|condition|illness|death|passing|discharge|admission|test\s+results?|leukemia|lymphoma|diabetes|dialysis|rehab|seizures?)\b",
    )
});
static CUE_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:patients?|survivor|resident|client|late|mourn|remember(?:ing)?|meet|welcome\s+back|congratulations\s+to|congrats\s+to|thank\s+you\s+to|pray\s+for|praying\s+for|prayers\s+for|get\s+well\s+soon,?)\s*,?\s*$",
    )
});
static EPONYM_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(?:'s|’s|')?\s+(?:disease|syndrome|palsy|sign|test|law|scale|maneuver|manoeuvre|lymphoma|ulcer|phenomenon|reflex|criteria|index|method)\b",
    )
});
static HEALTH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:diagnos\w*|admitted|admission|discharged?|surgery|surgeries|surgical|operation|treated|treatment|therapy|chemo\w*|radiation|cancer|leukemia|lymphoma|tumou?r|stroke|heart\s+attack|cardiac|transplant|recover\w*|survivor|survived|beat|battled?|battling|fought|fighting|passed\s+away|died|death|icu|nicu|intensive\s+care|hospitali[sz]ed|hospital\s+stay|stay|patients?|underwent|dialysis|diabetes|covid|infection|fracture|broke|pregnan\w*|gave\s+birth|delivered|rehab\w*|amputat\w*|overdose\w*|hiv|positive|prescri\w*|medication|insulin|sepsis|pneumonia|asthma|seizures?|epilep\w*|depression|anxiety|addiction|relapsed?|sobriety|sober|remission|biopsy|mastectomy|ventilator|coma|kidney|liver|dementia|alzheimer\w*|autism|emergency|ambulance|er|paramedics|wheelchair|blood\s+transfusion|clot|tumor|condition|illness|sick|injur\w*|accident|burns?|bypass|stent|pacemaker)\b",
    )
});
static NEXT_WORD: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:'s|’s|')?[ \t]+(\p{Lu}\p{Ll}+)"));
/// Capitalised words that start sentences or name things, not people.
#[rustfmt::skip]
const STOP: &[&str] = &[
    "A", "An", "The", "This", "That", "These", "Those", "Our", "Your", "My", "His", "Her",
    "Their", "Its", "We", "You", "He", "She", "They", "It", "I", "If", "When", "While", "After",
    "Before", "During", "Since", "Because", "But", "And", "Or", "So", "Yet", "For", "To", "In",
    "On", "At", "By", "With", "From", "Of", "As", "Is", "Are", "Was", "Were", "Be", "Do",
    "Does", "Did", "Can", "Could", "Should", "Would", "May", "Might", "Must", "Will", "Shall",
    "Not", "No", "Yes", "Please", "Thanks", "Thank", "Meet", "Call", "Ask", "Get", "Go", "Come",
    "Join", "Visit", "See", "Read", "Learn", "Keep", "Make", "Take", "Try", "Eat", "Drink",
    "Wash", "Stay", "Check", "Know", "Find", "Help", "Give", "Bring", "Talk", "Tell", "Share",
    "Follow", "Like", "Watch", "Listen", "Sign", "Register", "Book", "Schedule", "Remember",
    "Don't", "Never", "Always", "Every", "Each", "All", "Any", "Some", "Most", "Many", "More",
    "Less", "Few", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine",
    "Ten", "First", "Second", "Last", "Next", "New", "Now", "Today", "Tomorrow", "Yesterday",
    "Tonight", "Here", "There", "Where", "What", "Why", "How", "Who", "Which", "Whether",
    "Also", "Even", "Just", "Only", "Still", "Then", "Than", "Too", "Very", "Again", "Sadly",
    "Happily", "Finally", "Recently", "Congratulations", "Congrats", "Welcome", "Hello", "Hi",
    "Dear", "Update", "Note", "Tip", "News", "Alert", "Reminder", "Fact", "Did", "Has", "Have",
    "Had", "Happy", "Great", "Good", "Big", "Free", "Patient", "Patients", "Nurse", "Doctor",
    "Staff", "Team", "Family", "Families", "Mom", "Dad", "Baby", "Grandma", "Grandpa", "Granny",
    "Nana", "Papa", "Mama", "Auntie", "Uncle", "Aunt", "Little", "Young", "Brave", "Sweet",
    "Kids", "Adults", "People", "Everyone", "Someone", "Anyone", "Nobody", "January",
    "February", "March", "April", "June", "July", "August", "September", "October", "November",
    "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov",
    "Dec", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Mon",
    "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Christmas", "Thanksgiving", "Easter",
    "Halloween", "Ramadan", "Diwali", "Hanukkah", "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr",
    "Doctor", "Prof", "Nurse", "Saint", "St", "English", "Spanish", "French", "American",
    "Black", "White", "Asian", "Latino", "Hispanic", "Native",
];
/// Words that make a run an organisation, place, event or condition.
#[rustfmt::skip]
const ORG: &[&str] = &[
    "Hospital", "Hospitals", "Clinic", "Clinics", "Center", "Centre", "Centers", "Health",
    "Healthcare", "Medical", "Medicine", "Care", "Institute", "Institutes", "Association",
    "Society", "Foundation", "Department", "University", "College", "School", "Council",
    "Agency", "Administration", "Organization", "Organisation", "Services", "Service",
    "Network", "Group", "Partners", "Pharmacy", "Lab", "Labs", "Laboratory", "Unit", "Ward",
    "Wing", "Lobby", "Room", "Street", "Avenue", "Road", "County", "City", "State", "States",
    "United", "National", "International", "World", "Federal", "Public", "Lifeline", "Line",
    "Helpline", "Hotline", "Program", "Programme", "Project", "Campaign", "Month", "Week",
    "Day", "Awareness", "Season", "Disease", "Diseases", "Syndrome", "Cancer", "Heart",
    "Stroke", "Diabetes", "Flu", "Vaccine", "Vaccines", "Control", "Prevention", "Trust",
    "Fund", "Church", "Library", "Market", "Cross", "Blood", "Drive", "Race", "Fair",
    "Festival", "Expo", "Summit", "Conference", "Poison", "Crisis", "Suicide", "Quitline",
    "Smokefree", "Medicare", "Medicaid", "Insurance", "Plan", "Portal", "App", "Team", "Staff",
    "Board", "Office", "Emergency", "Room", "Urgent", "Family", "Women", "Children", "Kids",
    "Youth", "Senior", "Seniors", "Veterans", "Affairs", "Cardiology", "Oncology", "Pediatrics",
    "Maternity", "Surgery", "Radiology", "Orthopedics", "Neurology", "Rehabilitation",
    "Wellness", "Nutrition", "Fitness", "Food", "Drug", "Safety", "Press", "Times", "Post",
    "Journal", "News", "Report", "Example", "Inc", "Ltd", "Co", "Corp", "Company", "Facebook",
    "Instagram", "Twitter", "LinkedIn", "TikTok", "YouTube", "Google", "Apple", "Android",
    "Zoom", "Teams", "MyChart",
];
/// Common given names: a single one of these in a health story is a person.
/// Words that are also ordinary English (Will, May, Hope, Grace) are left out.
#[rustfmt::skip]
const FIRST: &[&str] = &[
    "Marcus", "Thomas", "Lucas", "Nicholas", "Douglas", "Dennis", "Louis", "Frances", "Agnes",
    "Doris", "Lois", "Gladys", "Andreas", "Jesús", "Matías", "Tobias", "Elias", "Jonas",
    "Silas", "Miles", "Francis", "Curtis", "Otis", "Travis", "Dolores", "Mercedes", "Demetrius",
    "Marcos", "Aaliyah", "Aaron", "Abdul", "Abigail", "Adam", "Adrian", "Ahmed", "Aisha",
    "Alan", "Albert", "Alejandro", "Alex", "Alice", "Alicia", "Amanda", "Amara", "Amir", "Amy",
    "Ana", "Andrea", "Andrew", "Angela", "Anita", "Ann", "Anna", "Anne", "Anthony", "Antonio",
    "Arjun", "Arthur", "Ashley", "Ayesha", "Barbara", "Beatriz", "Ben", "Benjamin", "Beth",
    "Betty", "Brandon", "Brian", "Bruce", "Carla", "Carlos", "Carmen", "Carol", "Caroline",
    "Catherine", "Charles", "Charlotte", "Chen", "Chloe", "Chris", "Christina", "Christopher",
    "Claire", "Connor", "Cynthia", "Daniel", "Dana", "David", "Deborah", "Debra", "Deepa",
    "Denise", "Diana", "Diego", "Dmitri", "Donald", "Donna", "Dorothy", "Duc", "Edward",
    "Elena", "Eli", "Elijah", "Elizabeth", "Ella", "Ellen", "Emily", "Emma", "Eric", "Erin",
    "Esther", "Ethan", "Eva", "Evelyn", "Fatima", "Felipe", "Fernando", "Fiona", "Francisco",
    "Gabriel", "Gabriela", "Gary", "George", "Gloria", "Greg", "Gregory", "Hana", "Hannah",
    "Harold", "Harry", "Hassan", "Heather", "Helen", "Henry", "Hiroshi", "Ibrahim", "Imani",
    "Isabel", "Isabella", "Isaac", "Jacob", "Jake", "James", "Jamal", "Jane", "Janet", "Jason",
    "Javier", "Jean", "Jennifer", "Jeremy", "Jessica", "Jin", "Joan", "Joe", "John", "Jorge",
    "Jose", "José", "Joseph", "Joshua", "Juan", "Judith", "Julia", "Julie", "Justin", "Karen",
    "Katherine", "Kathleen", "Kayla", "Keisha", "Kenji", "Kevin", "Kim", "Kimberly", "Kofi",
    "Kwame", "Laura", "Lauren", "Leah", "Lena", "Leo", "Liam", "Linda", "Lisa", "Logan",
    "Lucas", "Lucia", "Luis", "Luz", "Maria", "María", "Mariam", "Marie", "Marisol", "Martha",
    "Mary", "Mateo", "Matthew", "Megan", "Mei", "Melissa", "Michael", "Michelle", "Miguel",
    "Mohammed", "Muhammad", "Nadia", "Nancy", "Naomi", "Natalie", "Nathan", "Nicole", "Noah",
    "Nora", "Olivia", "Omar", "Oscar", "Pablo", "Pamela", "Patricia", "Paul", "Pedro", "Peter",
    "Priya", "Rachel", "Rahul", "Rajesh", "Ramon", "Rebecca", "Richard", "Robert", "Roberto",
    "Rohan", "Ronald", "Rosa", "Ryan", "Samantha", "Samir", "Samuel", "Sandra", "Sara", "Sarah",
    "Sean", "Sharon", "Sofia", "Sophia", "Stephanie", "Stephen", "Steven", "Susan", "Tamara",
    "Tanya", "Teresa", "Theresa", "Thomas", "Timothy", "Tom", "Tomás", "Tyler", "Valeria",
    "Victor", "Victoria", "Vikram", "Walter", "Wei", "William", "Xavier", "Yara", "Yusuf",
    "Zainab", "Zoe",
];

// Built once: the word lists are looked up for every capitalised run.
static STOP_SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| STOP.iter().copied().collect());
static ORG_SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| ORG.iter().copied().collect());
static FIRST_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| FIRST.iter().copied().collect());

pub(super) fn scan(text: &str, ctx: &Context, out: &mut Vec<super::Finding>) {
    if ctx.consent {
        return;
    }
    let (stop, org, first) = (&*STOP_SET, &*ORG_SET, &*FIRST_SET);
    let staff_words: Vec<Vec<String>> = ctx
        .allow
        .staff
        .iter()
        .map(|s| words_of(s).map(str::to_lowercase).collect())
        .collect();
    let credentialed = credentialed_surnames(text);
    for m in RUN.find_iter(text) {
        let words: Vec<(usize, &str)> = word_offsets(m.as_str(), m.start());
        if words.iter().any(|(_, w)| org.contains(w)) {
            continue;
        }
        // Drop leading and trailing capitalised non-names.
        let mut lo = 0;
        while lo < words.len() && stop.contains(words[lo].1) {
            lo += 1;
        }
        let mut hi = words.len();
        while hi > lo && stop.contains(words[hi - 1].1) {
            hi -= 1;
        }
        if lo == hi || hi - lo > 3 {
            continue;
        }
        let name = &words[lo..hi];
        let start = name[0].0;
        let end = name[hi - lo - 1].0 + name[hi - lo - 1].1.len();
        let before = super::before(text, start, 40);
        let after = super::after(text, end, 90);
        if EPONYM_AFTER.is_match(after) {
            continue;
        }
        // "Saint Mary's Medical Center": the name is part of an organisation.
        if let Some(next) = NEXT_WORD.captures(after).and_then(|c| c.get(1))
            && org.contains(next.as_str())
        {
            continue;
        }
        let lower: Vec<String> = name.iter().map(|(_, w)| w.to_lowercase()).collect();
        let cued = CUE_AFTER.is_match(after) || CUE_BEFORE.is_match(before);
        let is_staff = STAFF_BEFORE.is_match(before)
            || CREDENTIAL_AFTER.is_match(after)
            || staff_words.iter().any(|s| {
                // A lone first name shared with staff is still a patient
                // when the text tells a patient story about it.
                !s.is_empty()
                    && lower.iter().all(|w| s.contains(w))
                    && (lower.len() > 1 || s.last() == lower.last() || !cued)
            })
            || lower.last().is_some_and(|l| credentialed.contains(l));
        if is_staff {
            continue;
        }
        let titled = TITLE_BEFORE.is_match(before);
        let given = name.iter().any(|(_, w)| first.contains(w));
        // "Americans living with diabetes": a lone plural is a group.
        const GROUP_ENDINGS: &[&str] = &[
            "ans", "ers", "ors", "ies", "nts", "sts", "ics", "ees", "ens", "tes",
        ];
        if name.len() == 1
            && !given
            && !titled
            && GROUP_ENDINGS.iter().any(|e| name[0].1.ends_with(e))
        {
            continue;
        }
        // Sentence-start words that are names only by accident ("Paul" is
        // fine, "Stay" is in STOP): need a title, a given name or a cue.
        if !(titled || cued || given) {
            continue;
        }
        let story = cued || HEALTH.is_match(story_window(text, start, end));
        if story {
            let span = if titled {
                let t = before.trim_end();
                let t = t.rfind(|c: char| c.is_whitespace()).map_or(0, |i| i + 1);
                start - (before.len() - t)..end
            } else {
                start..end
            };
            out.push(found(
                CODE,
                text,
                span,
                "patient named in a health story:",
                HELP,
            ));
        }
    }
}

fn words_of(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-'))
        .filter(|w| !w.is_empty())
}

/// Each word of a capitalised run with its byte offset in the text.
fn word_offsets(run: &str, base: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut i = 0;
    for part in run.split_whitespace() {
        if let Some(pos) = run[i..].find(part) {
            let at = i + pos;
            if !(part.len() == 2 && part.ends_with('.')) {
                out.push((base + at, part));
            }
            i = at + part.len();
        }
    }
    out
}

/// Surnames written with a credential or "Dr." anywhere in the text, so a
/// later "Rivera says" stays staff.
fn credentialed_surnames(text: &str) -> HashSet<String> {
    static CRED: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?:\b(?:Dr|Doctor|Nurse|Prof)\.?\s+(?:[A-Z]\.\s+)?(?:[A-Z][a-z]+\s+)?(?P<a>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)|(?P<b>[A-Z][a-z]+(?:-[A-Z][a-z]+)?),?\s+(?:RN|MD|DO|PharmD|NP|PA-C|PhD|DNP|CNM|LPN|RD|RDN|MPH|APRN|FNP)\b)",
        )
    });
    CRED.captures_iter(text)
        .filter_map(|c| c.name("a").or_else(|| c.name("b")))
        .map(|m| m.as_str().to_lowercase())
        .collect()
}

/// The sentence holding `start..end` and the one after it.
fn story_window(text: &str, start: usize, end: usize) -> &str {
    let head = &text[..start];
    let s = head.rfind(['.', '!', '?', '\n']).map_or(0, |i| i + 1);
    let tail = &text[end..];
    let mut ends = tail.match_indices(['.', '!', '?', '\n']).map(|(i, _)| i);
    let e = match (ends.next(), ends.next()) {
        (_, Some(second)) => end + second,
        _ => text.len(),
    };
    &text[s..e]
}

#[cfg(test)]
mod tests {
    use super::super::Allow;
    use super::super::test_support::{codes, codes_with};

    #[test]
    fn flags_patient_stories() {
        for t in [
            "Our patient Maria Lopez is home after her surgery.",
            "Mr. Chen, 67, came to the ER with chest pain.",
            "Dana beat leukemia last spring.",
            "Jorge Ramirez was admitted with pneumonia.",
            "Jones was admitted last night.",
        ] {
            assert_eq!(codes(t), ["privacy/name"], "{t}");
        }
    }

    #[test]
    fn ignores_staff_months_and_organisations() {
        let allow = Allow {
            staff: vec!["Dana Whitfield".into()],
            ..Allow::default()
        };
        for t in [
            "Dana Whitfield leads our diabetes class for patients.",
            "Dr. Patel treats heart disease at Example Hospital.",
            "Sam Ortiz, RN, explains what to expect after surgery.",
            "March is Colorectal Cancer Awareness Month; ask about screening.",
            "Parkinson's disease affects movement. The CDC tracks stroke.",
            "Our donor, Greg Hall, gave $5,000 to the cancer center.",
            "Americans living with diabetes can join our class.",
        ] {
            assert!(codes_with(t, &allow, false).is_empty(), "{t}");
        }
        assert!(codes_with("Dana beat leukemia.", &allow, true).is_empty());
    }
}
