package webpos

import (
	"fmt"
	"strings"
	"time"

	"tacit/consensus"
	"tacit/listserv/notice"
)

// The words of the pages, in French (the default) and English. The
// sentences say first what happened, then what comes next.

// word is one text in both languages.
type word struct{ fr, en string }

func (w word) in(lang string) string {
	if lang == "en" {
		return w.en
	}
	return w.fr
}

var (
	wAsk = map[string]word{
		Support: {"Soutenir la proposition n° %d", "Support proposal #%d"},
		Object:  {"S'opposer à la proposition n° %d", "Object to proposal #%d"},
		Lift:    {"Lever votre objection à la proposition n° %d", "Lift your objection to proposal #%d"},
	}
	wButton = map[string]word{
		Support: {"Je soutiens", "I support it"},
		Object:  {"Je m'oppose", "I object"},
		Lift:    {"Je lève mon objection", "I lift my objection"},
	}
	wWhy = map[string]word{
		Support: {"Un soutien n'est pas nécessaire pour que la proposition soit adoptée, mais il montre à tous que vous êtes d'accord.",
			"A support is not needed for the proposal to be adopted, but it shows everyone that you agree."},
		Object: {"Tant que votre objection reste en place, la proposition ne peut pas être adoptée. Dites pourquoi : c'est ce qui permet d'en discuter.",
			"As long as your objection stands, the proposal cannot be adopted. Say why: that is what lets the list discuss it."},
		Lift: {"Votre objection ne bloquera plus la proposition. S'il n'en reste aucune autre, elle pourra être adoptée.",
			"Your objection will no longer block the proposal. If no other objection is left, it can be adopted."},
	}
	wDone = map[string]word{
		Support: {"C'est noté : votre soutien à la proposition n° %d est enregistré.",
			"Done: your support for proposal #%d is recorded."},
		Object: {"C'est noté : votre objection à la proposition n° %d est enregistrée.",
			"Done: your objection to proposal #%d is recorded."},
		Lift: {"C'est noté : votre objection à la proposition n° %d est levée.",
			"Done: your objection to proposal #%d is lifted."},
	}
	wRefused = map[string]word{
		consensus.WhyLate: {"Rien n'a été compté : l'échéance de la proposition n° %d est passée (c'était le %s).",
			"Nothing was counted: the deadline of proposal #%d has passed (it was %s)."},
		consensus.WhyDecided: {"Rien n'a été compté : la proposition n° %d est déjà décidée (%s).",
			"Nothing was counted: proposal #%d is already decided (%s)."},
		consensus.WhyNoObjection: {"Il n'y a rien à lever : vous n'avez pas d'objection en place sur la proposition n° %d.",
			"There is nothing to lift: you have no standing objection to proposal #%d."},
		consensus.WhyNotMember: {"Rien n'a été compté : l'adresse %s n'est plus membre de la liste.",
			"Nothing was counted: the address %s is no longer a member of the list."},
		consensus.WhyLinkPublic: {"Rien n'a été compté : ce lien a été cité dans un message envoyé à toute la liste, " +
			"il n'est donc plus personnel et ne marche plus. Pour la proposition n° %d, répondez par mail.",
			"Nothing was counted: this link was quoted in a message sent to the whole list, so it is no longer " +
				"personal and no longer works. For proposal #%d, reply by mail."},
	}
	wList       = word{"Liste", "List"}
	wProposal   = word{"Proposition", "Proposal"}
	wDeadline   = word{"Échéance", "Deadline"}
	wStatus     = word{"État", "Status"}
	wAs         = word{"Vous", "You"}
	wText       = word{"Le texte de la proposition", "The text of the proposal"}
	wReason     = word{"Votre raison (la liste la lira) :", "Your reason (the list will read it):"}
	wNothingYet = word{"Rien n'est compté tant que vous n'avez pas appuyé sur le bouton.", "Nothing counts until you press the button."}
	wMailToo    = word{"Vous recevez aussi une confirmation par mail.", "You also get a confirmation by mail."}
	wMailWhy    = word{"Vous recevez aussi un mail qui l'explique.", "You also get a mail that explains it."}
	wNotedTitle = word{"C'est noté", "Done"}
	wNothingT   = word{"Rien n'a été compté", "Nothing was counted"}
	wNotFoundT  = word{"Lien invalide", "Invalid link"}
	wNotFound   = word{"Ce lien est incomplet ou a été modifié. Ouvrez-le à nouveau depuis le mail de la liste, en entier.", "This link is incomplete or was altered. Open it again, in full, from the list's mail."}
	wArchiveT   = word{"Lien des archives", "A link from the archive"}
	wArchive    = word{"Ce lien vient de la copie de la proposition gardée dans les archives : il n'est celui de personne. " +
		"Utilisez le lien du mail que vous avez reçu, ou répondez par mail.",
		"This link comes from the proposal's copy kept in the archive: it is nobody's own. " +
			"Use the link in the mail you received, or reply by mail."}
	wFailedT     = word{"Impossible pour l'instant", "Not possible right now"}
	wFailed      = word{"Votre position n'a pas pu être enregistrée pour l'instant. Réessayez dans quelques minutes.", "Your position could not be recorded right now. Please try again in a few minutes."}
	wMethodT     = word{"Méthode non autorisée", "Method not allowed"}
	wMethod      = word{"Ouvrez ce lien dans un navigateur.", "Open this link in a web browser."}
	wPageLink    = word{"La page de la proposition", "The proposal's page"}
	wPassed      = word{"l'échéance est passée", "the deadline has passed"}
	wSoonerThanA = word{"dans moins d'une minute", "in less than a minute"}
	wCloseTitle  = word{"Proposition n° %d", "Proposal #%d"}
)

var statusWords = map[consensus.Status]word{
	consensus.StatusOpen:      {"ouverte", "open"},
	consensus.StatusBlocked:   {"bloquée par une objection", "blocked by an objection"},
	consensus.StatusAdopted:   {"adoptée", "adopted"},
	consensus.StatusWithdrawn: {"retirée", "withdrawn"},
	consensus.StatusRejected:  {"rejetée", "rejected"},
}

// refusalSentence says in words why nothing counted.
func refusalSentence(lang, why string, p consensus.Proposal, member string, loc *time.Location) string {
	w, ok := wRefused[why]
	if !ok {
		return wNothingT.in(lang) + "."
	}
	switch why {
	case consensus.WhyLate:
		return fmt.Sprintf(w.in(lang), p.Number, notice.Date(p.Deadline, lang, loc))
	case consensus.WhyDecided:
		return fmt.Sprintf(w.in(lang), p.Number, notice.Outcome(p, lang))
	case consensus.WhyNotMember:
		return fmt.Sprintf(w.in(lang), member)
	}
	return fmt.Sprintf(w.in(lang), p.Number)
}

// timeLeft says how long until deadline: "dans 2 jours et 3 heures",
// "in 5 hours".
func timeLeft(lang string, d time.Duration) string {
	if d <= 0 {
		return wPassed.in(lang)
	}
	if d < time.Minute {
		return wSoonerThanA.in(lang)
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	switch {
	case days > 0:
		parts = append(parts, unit(lang, days, "jour", "day"))
		if hours > 0 {
			parts = append(parts, unit(lang, hours, "heure", "hour"))
		}
	case hours > 0:
		parts = append(parts, unit(lang, hours, "heure", "hour"))
		if mins > 0 {
			parts = append(parts, unit(lang, mins, "minute", "minute"))
		}
	default:
		parts = append(parts, unit(lang, mins, "minute", "minute"))
	}
	if lang == "en" {
		return "in " + strings.Join(parts, " and ")
	}
	return "dans " + strings.Join(parts, " et ")
}

// unit writes "2 jours", "1 hour".
func unit(lang string, n int, fr, en string) string {
	w := fr
	if lang == "en" {
		w = en
	}
	if n > 1 {
		w += "s"
	}
	return fmt.Sprintf("%d %s", n, w)
}

// normLang maps a language tag to "en" or "fr", the default.
func normLang(tag string) string {
	primary, _, _ := strings.Cut(strings.TrimSpace(tag), "-")
	if strings.EqualFold(primary, "en") {
		return "en"
	}
	return "fr"
}
