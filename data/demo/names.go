package demo

import "math/rand/v2"

// Head-of-household names: a common Javanese given name and an old-style
// compound name (Karto + diharjo). The combinations are synthetic; they are
// built once per dataset and shared by every row that draws them.
var (
	maleGiven = []string{
		"Slamet", "Sugeng", "Sutrisno", "Suparman", "Darmono", "Sukirno", "Wagiman", "Tarmuji", "Kasmadi",
		"Warsono", "Rohmat", "Mulyadi", "Karyono", "Sumarno", "Daryanto", "Joko", "Bambang", "Agus",
		"Wahyudi", "Supriyadi", "Teguh", "Mulyono", "Edi", "Haryanto", "Rusdi", "Kuswoyo", "Tarjo",
		"Casmadi", "Muhammad", "Nur Hadi",
	}
	femaleGiven = []string{
		"Sri", "Siti", "Suminah", "Tumini", "Wartini", "Kasmini", "Rukmini", "Darsih", "Wagiyem", "Sulastri",
		"Suprihatin", "Endang", "Lestari", "Rasinah", "Sumiyati", "Warsiti", "Tarsih", "Casmini", "Khotimah",
		"Nurhayati",
	}
	familyHeads  = []string{"Karto", "Wiryo", "Sastro", "Darmo", "Mangun", "Harjo", "Prawiro", "Suro", "Atmo", "Reso"}
	familyTails  = []string{"diharjo", "sentono", "wiyono", "sudarmo", "pawiro", "dikromo", "wijoyo", "utomo"}
	familyLength = len(familyHeads) * len(familyTails)
)

// headNames holds every given+family combination, male ones first.
type headNames struct {
	male, female []string
}

func newHeadNames() headNames {
	build := func(given []string) []string {
		out := make([]string, 0, len(given)*familyLength)
		for _, g := range given {
			for _, h := range familyHeads {
				for _, t := range familyTails {
					out = append(out, g+" "+h+t)
				}
			}
		}
		return out
	}
	return headNames{male: build(maleGiven), female: build(femaleGiven)}
}

func (n *headNames) draw(rnd *rand.Rand, female bool) string {
	if female {
		return n.female[rnd.IntN(len(n.female))]
	}
	return n.male[rnd.IntN(len(n.male))]
}
