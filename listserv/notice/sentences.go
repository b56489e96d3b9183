package notice

import "fmt"

// This file holds the sentences tacit writes outside the templates: the
// answers to the commands of a mail to NAME-request, the owners' summary
// of held posts, the address probe and the Subject of a proposal, each in
// French and in English, named by a Sentence.

// Sentence names a sentence of the catalogue.
type Sentence int

// The sentences, with their arguments.
const (
	// AlreadySubscribed: the list's address.
	AlreadySubscribed Sentence = iota
	// NotSubscribed: the list's address.
	NotSubscribed
	// SubscribeAsked: the list's address, the member's.
	SubscribeAsked
	// UnsubscribeAsked: the list's address, the member's.
	UnsubscribeAsked
	// StatusMembersOnly: the list's address.
	StatusMembersOnly
	// PasswordMembersOnly: the list's address.
	PasswordMembersOnly
	// PasswordAfterJoin: no argument.
	PasswordAfterJoin
	// PasswordAsked: the list's address, the member's.
	PasswordAsked
	// NoCommand: the first unknown word.
	NoCommand
	// ProposalConfirmed: the proposal's Subject.
	ProposalConfirmed
	// AnswerApproveReject: the held post's sender.
	AnswerApproveReject
	// ConfirmationExpired: no argument.
	ConfirmationExpired
	// ConfirmationUnknown: no argument.
	ConfirmationUnknown
	// ConfirmationOtherList: no argument.
	ConfirmationOtherList
	// ConfirmationOtherAddress: no argument.
	ConfirmationOtherAddress
	// Welcome: the list's address, twice.
	Welcome
	// Unsubscribed: the list's address.
	Unsubscribed
	// StatusLine: the proposal's number, author, title, status in words,
	// deadline in words and number of standing objections.
	StatusLine
	// NoOpenProposal: the list's address.
	NoOpenProposal
	// NewPassword: the list's address, the password.
	NewPassword
	// NoIMAP: no argument.
	NoIMAP
	// IMAPStartTLS: the IMAP host, port and login.
	IMAPStartTLS
	// IMAPPlain: the IMAP host, port and login.
	IMAPPlain
	// IMAPImplicitTLS: the IMAP host, port (IMAPS) and login.
	IMAPImplicitTLS
	// CommandsConfirmed: the proposal's number.
	CommandsConfirmed
	// OwnersOnly: the list's address.
	OwnersOnly
	// HeldGone: no argument.
	HeldGone
	// HeldOtherList: no argument.
	HeldOtherList
	// HeldApproved: the held post's sender.
	HeldApproved
	// HeldRejected: the held post's sender.
	HeldRejected
	// HeldSummaryLine: a held post's number, sender, Subject and token,
	// one line of the summary.
	HeldSummaryLine
	// HeldSummarySubject: the list's NAME, the number of posts waiting.
	HeldSummarySubject
	// HeldSummaryBody: the day, the hour's start and end, the list's
	// address, the posts held that hour, the notices sent per hour, the
	// posts waiting, the list's address, the summary's lines, the list's
	// address.
	HeldSummaryBody
	// ProbeSubject: the list's NAME.
	ProbeSubject
	// ProbeBody: the list's address, twice.
	ProbeBody
	// ProposalSubject: the list's NAME, the proposal's number, its
	// title.
	ProposalSubject
	// OwnersOnlyMeeting: the list's address.
	OwnersOnlyMeeting
	// OwnerUnauthenticated: no argument.
	OwnerUnauthenticated
	// MeetingRecorded: the meeting's date in words.
	MeetingRecorded
	// MeetingUnread: the line as written.
	MeetingUnread
	// SettleUnread: the line as written.
	SettleUnread
	// Settled: the proposal's number, the outcome in words.
	Settled
	// SettleDecided: the proposal's number.
	SettleDecided
	// SettleNoProposal: the proposal's number.
	SettleNoProposal
	// OwnerCommandAsked: no argument.
	OwnerCommandAsked
	// OwnersOnlyBan: the list's address.
	OwnersOnlyBan
	// BanUnread: the argument as written.
	BanUnread
	// BanOwner: the owner's address.
	BanOwner
	// Banned, Unbanned, ModeratedSet: the address or @domain, the
	// list's address.
	Banned
	Unbanned
	ModeratedSet
	// ModeMembersOnly: the list's address.
	ModeMembersOnly
	// ModeDigest: the list's address, the digest's time ("18:00").
	ModeDigest
	// ModeNomail: the list's address.
	ModeNomail
	// ModeNomailUntil: the list's address, the day the holidays end.
	ModeNomailUntil
	// ModeNormal: the list's address.
	ModeNormal
	// ModeDateUnread: the date as written.
	ModeDateUnread
	// ModeConfirmAsked: no argument.
	ModeConfirmAsked
	// HolidayOver: the list's address.
	HolidayOver
	// DigestSubject: the list's NAME, the day, the number of posts.
	DigestSubject
	// DigestIntro: the list's address, the number of posts.
	DigestIntro
	// DigestLine: the post's number in the digest, its time, author and
	// Subject.
	DigestLine

	numSentences // not a sentence: their number
)

// sentences holds the French and English format of every Sentence.
var sentences = [numSentences]struct{ fr, en string }{
	AlreadySubscribed: {"Vous êtes déjà abonné·e à %s.", "You are already subscribed to %s."},
	NotSubscribed:     {"Vous n'êtes pas abonné·e à %s.", "You are not subscribed to %s."},
	SubscribeAsked: {"Vous avez demandé à vous abonner à %s avec l'adresse %s.",
		"You asked to subscribe to %s with the address %s."},
	UnsubscribeAsked: {"Vous avez demandé à vous désabonner de %s (adresse %s).",
		"You asked to unsubscribe %s from %s."},
	StatusMembersOnly: {"Seuls les membres de %s peuvent voir ses propositions.",
		"Only members of %s can see its proposals."},
	PasswordMembersOnly: {"Seuls les membres de %s ont un mot de passe.", "Only members of %s have a password."},
	PasswordAfterJoin: {"Demandez votre mot de passe dans un prochain message : votre abonnement vient d'être confirmé.",
		"Ask for your password in another message: your subscription was just confirmed."},
	PasswordAsked: {"Vous avez demandé un nouveau mot de passe pour les archives de %s (adresse %s). " +
		"Votre mot de passe actuel reste valable tant que vous n'avez pas confirmé.",
		"You asked for a new password for the archive of %s (address %s). " +
			"Your current password stays valid until you confirm."},
	NoCommand: {"Aucune commande reconnue dans votre message (par exemple « %s »).",
		"No command found in your message (for instance \"%s\")."},
	ProposalConfirmed: {"Merci : votre proposition « %s » est confirmée ; elle part vers la liste.",
		"Thank you: your proposal \"%s\" is confirmed; it goes to the list."},
	AnswerApproveReject: {"Pour le message de %s, répondez « accepter » ou « refuser ».",
		"For the message from %s, answer \"approve\" or \"reject\"."},
	ConfirmationExpired: {"Cette demande de confirmation a expiré ; recommencez votre demande.",
		"This confirmation request has expired; please ask again."},
	ConfirmationUnknown: {"Ce code de confirmation est inconnu ou a déjà servi.",
		"This confirmation code is unknown or was already used."},
	ConfirmationOtherList: {"Ce code de confirmation concerne une autre liste.",
		"This confirmation code is for another list."},
	ConfirmationOtherAddress: {"Ce code de confirmation a été envoyé à une autre adresse que la vôtre.",
		"This confirmation code was sent to another address than yours."},
	Welcome: {"Bienvenue : vous êtes maintenant abonné·e à %s. Pour écrire à tous : %s.",
		"Welcome: you are now subscribed to %s. To write to everyone: %s."},
	Unsubscribed: {"C'est fait : vous êtes désabonné·e de %s.", "Done: you are unsubscribed from %s."},
	StatusLine: {"Proposition n° %d de %s, « %s » : %s, échéance le %s, %d objection(s) debout.",
		"Proposal #%d by %s, \"%s\": %s, deadline %s, %d objection(s) standing."},
	NoOpenProposal: {"La liste %s n'a aucune proposition en cours.", "The list %s has no open proposal."},
	NewPassword: {"Votre nouveau mot de passe pour lire les archives de %s dans votre logiciel de messagerie : %s",
		"Your new password to read the archive of %s in your mail program: %s"},
	NoIMAP: {"Ce serveur ne sert pas encore les archives par IMAP : gardez ce mot de passe pour plus tard.",
		"This server does not serve the archive over IMAP yet: keep this password for later."},
	IMAPStartTLS: {"Pour ajouter le compte, indiquez : serveur IMAP %s, port %s, sécurité STARTTLS, identifiant %s, ce mot de passe.",
		"To add the account, enter: IMAP server %s, port %s, STARTTLS security, login %s, this password."},
	IMAPPlain: {"Pour ajouter le compte, indiquez : serveur IMAP %s, port %s, sans chiffrement, identifiant %s, ce mot de passe.",
		"To add the account, enter: IMAP server %s, port %s, no encryption, login %s, this password."},
	IMAPImplicitTLS: {"Pour ajouter le compte, indiquez : serveur IMAP %s, port %s, sécurité SSL/TLS, identifiant %s, ce mot de passe.",
		"To add the account, enter: IMAP server %s, port %s, SSL/TLS security, login %s, this password."},
	CommandsConfirmed: {"Merci : votre message sur la proposition n° %d est confirmé et compté.",
		"Thank you: your message on proposal #%d is confirmed and counted."},
	OwnersOnly: {"Seuls les responsables de %s peuvent accepter ou refuser un message.",
		"Only the owners of %s can approve or reject a message."},
	HeldGone: {"Ce message n'attend plus de décision (déjà accepté ou refusé ?).",
		"That message no longer waits for a decision (already approved or rejected?)."},
	HeldOtherList: {"Ce message attend sur une autre liste.", "That message waits on another list."},
	HeldApproved: {"Le message de %s est accepté : il part vers la liste.",
		"The message from %s is approved: it goes to the list."},
	HeldRejected: {"Le message de %s est refusé ; son auteur en est informé.",
		"The message from %s is rejected; its author is told."},
	HeldSummaryLine:    {"  %d  %s  « %s »  %s\n", "  %d  %s  \"%s\"  %s\n"},
	HeldSummarySubject: {"[%s] %d autres messages attendent votre décision", "[%s] %d more messages await your decision"},
	HeldSummaryBody: {"Bonjour,\n\nLe %s entre %s et %s, la liste %s a retenu %d messages\n" +
		"pour vous ; vous n'avez reçu d'avis que pour les %d premiers.\n\n" +
		"%d autres messages attendent votre décision : tacit held ls %s,\n" +
		"ou répondez à ce message avec une ligne par message,\n" +
		"« accepter JETON » ou « refuser JETON raison ».\n\n" +
		"NUMÉRO  EXPÉDITEUR  OBJET  JETON\n%s\n" +
		"En ligne de commande : tacit held approve NUMÉRO\nou tacit held reject NUMÉRO.\n\n--\nLa liste %s\n",
		"Hello,\n\nOn %s between %s and %s, the list %s held %d messages\n" +
			"for you; you were sent a notice for the first %d only.\n\n" +
			"%d more messages await your decision: tacit held ls %s,\n" +
			"or reply to this message with one line per message,\n" +
			"\"approve TOKEN\" or \"reject TOKEN reason\".\n\n" +
			"NUMBER  SENDER  SUBJECT  TOKEN\n%s\n" +
			"On the command line: tacit held approve NUMBER\nor tacit held reject NUMBER.\n\n--\nThe list %s\n"},
	ProbeSubject: {"[%s] Vérification de votre adresse", "[%s] Checking your address"},
	ProbeBody: {"Bonjour,\n\n" +
		"Ces derniers jours, la liste %s n'a pas pu\n" +
		"distribuer ses messages à cette adresse : le serveur qui la reçoit\n" +
		"les a refusés.\n\n" +
		"Ce message sert seulement à vérifier l'adresse. S'il vous parvient,\n" +
		"vous n'avez rien à faire.\n\n" +
		"--\nLa liste %s\n",
		"Hello,\n\n" +
			"The list %s could not deliver its mail to this\n" +
			"address lately: the receiving server refused it.\n\n" +
			"This message only checks the address. If you are reading it,\n" +
			"there is nothing to do.\n\n" +
			"--\nThe list %s\n"},
	ProposalSubject: {"[%s] [PROPOSITION #%d] %s", "[%s] [PROPOSAL #%d] %s"},
	OwnersOnlyMeeting: {"Seuls les responsables de %s peuvent annoncer une réunion ou noter ses décisions.",
		"Only the owners of %s can announce a meeting or record its decisions."},
	OwnerUnauthenticated: {"Votre message n'a pas pu être authentifié (pas de signature de votre messagerie) : " +
		"rien n'a été changé. Utilisez plutôt la ligne de commande (tacit meeting add, tacit proposal settle).",
		"Your message could not be authenticated (no signature from your mail provider): nothing was changed. " +
			"Use the command line instead (tacit meeting add, tacit proposal settle)."},
	MeetingRecorded: {"Réunion notée : le %s. L'ordre du jour partira vers la liste quelques jours avant.",
		"Meeting recorded: %s. Its agenda will go to the list a few days before."},
	MeetingUnread: {"La date de la réunion n'a pas été comprise : « %s ». Écrivez par exemple : réunion 12/01/2027 18h30 Maison du libre.",
		"The meeting's date was not understood: \"%s\". Write for instance: meeting 2027-01-12 18:30 Community hall."},
	SettleUnread: {"Cette décision n'a pas été comprise : « %s ». Écrivez par exemple : décision #3 adoptée (ou rejetée, ou reportée).",
		"This decision was not understood: \"%s\". Write for instance: decision #3 adopted (or rejected, or postponed)."},
	Settled:          {"Proposition n° %d : %s. La liste en est informée.", "Proposal #%d: %s. The list is told."},
	SettleDecided:    {"La proposition n° %d est déjà décidée : rien n'a changé.", "Proposal #%d is already decided: nothing changed."},
	SettleNoProposal: {"La liste n'a pas de proposition n° %d.", "The list has no proposal #%d."},
	OwnerCommandAsked: {"Votre message n'a pas pu être authentifié : confirmez-le en répondant simplement au message « confirm » que vous allez recevoir.",
		"Your message could not be authenticated: confirm it by simply replying to the \"confirm\" message you will receive."},
	OwnersOnlyBan: {"Seuls les responsables de %s peuvent bannir ou modérer une adresse.",
		"Only the owners of %s can ban or moderate an address."},
	BanUnread: {"Cette adresse n'a pas été comprise : « %s ». Écrivez par exemple : bannir troll@exemple.org (ou @exemple.org pour tout un domaine).",
		"This address was not understood: \"%s\". Write for instance: ban troll@example.org (or @example.org for a whole domain)."},
	BanOwner: {"%s est responsable de la liste : on ne bannit pas un responsable. Rien n'a changé.",
		"%s owns the list: an owner cannot be banned. Nothing changed."},
	Banned: {"C'est fait : %s est banni de %s. Ses messages seront jetés sans réponse, et cette adresse ne peut plus s'abonner.",
		"Done: %s is banned from %s. Its mail will be discarded unanswered, and it cannot subscribe again."},
	Unbanned: {"C'est fait : %s n'est plus banni de %s.",
		"Done: %s is no longer banned from %s."},
	ModeratedSet: {"C'est fait : les messages de %s à %s vous seront soumis avant d'être diffusés, même après un départ et un retour.",
		"Done: the posts of %s to %s will be submitted to you before they go out, even if it leaves and comes back."},
	ModeMembersOnly: {"Seuls les membres de %s peuvent choisir comment ils reçoivent ses messages.",
		"Only members of %s can choose how they get its mail."},
	ModeDigest: {"C'est noté : vous recevrez les messages de %s en un résumé par jour, vers %s. " +
		"Les propositions, rappels et décisions continuent d'arriver un par un, dès qu'ils partent.",
		"Done: you will get the posts of %s in one digest a day, around %s. " +
			"Proposals, reminders and decisions still come one by one, as soon as they go out."},
	ModeNomail: {"C'est noté : vous ne recevez plus les messages ordinaires de %s, jusqu'à ce que vous écriviez « normal ». " +
		"Les propositions, rappels et décisions continuent d'arriver : aucune décision ne se prend sans vous.",
		"Done: you no longer get the ordinary posts of %s, until you write \"normal\". " +
			"Proposals, reminders and decisions still reach you: no decision is taken without you."},
	ModeNomailUntil: {"Bonnes vacances : vous ne recevez plus les messages ordinaires de %s jusqu'au %s ; " +
		"ensuite tout reprendra de lui-même. Les propositions, rappels et décisions continuent d'arriver : " +
		"aucune décision ne se prend sans vous.",
		"Enjoy your holidays: you no longer get the ordinary posts of %s until %s; then everything comes back " +
			"by itself. Proposals, reminders and decisions still reach you: no decision is taken without you."},
	ModeNormal: {"C'est noté : vous recevez de nouveau chaque message de %s dès qu'il part.",
		"Done: you get every post of %s again as soon as it goes out."},
	ModeDateUnread: {"La date n'a pas été comprise : « %s ». Écrivez par exemple : vacances jusqu'au 15/01.",
		"The date was not understood: \"%s\". Write for instance: nomail until 2027-01-15."},
	ModeConfirmAsked: {"Votre message n'a pas pu être authentifié : pour changer la façon dont vous recevez la liste, " +
		"répondez simplement au message « confirm » que vous allez recevoir.",
		"Your message could not be authenticated: to change how you get the list, simply reply to the " +
			"\"confirm\" message you will receive."},
	HolidayOver: {"Vos vacances sont finies : vous recevez de nouveau les messages de %s.",
		"Your holidays are over: you get the posts of %s again."},
	DigestSubject: {"[%s] Résumé du %s (%d messages)", "[%s] Digest of %s (%d posts)"},
	DigestIntro: {"Voici les messages envoyés à %s depuis le dernier résumé (%d). " +
		"Les propositions et décisions vous sont arrivées à part, une par une.",
		"Here are the posts sent to %s since the last digest (%d). " +
			"Proposals and decisions reached you separately, one by one."},
	DigestLine: {"%2d. %s  %s : %s", "%2d. %s  %s: %s"},
}

// Say writes sentence key in language lang ("fr" unless lang is "en"),
// its format filled with args.
func Say(lang string, key Sentence, args ...any) string {
	format := sentences[key].fr
	if lang == "en" {
		format = sentences[key].en
	}
	return fmt.Sprintf(format, args...)
}
