package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"tacit/config"
	"tacit/deploy"
)

// initReport is what tacit init prints once its files are written.
type initReport struct {
	lang                       string
	cfg                        *config.Config
	cfgPath, unitPath, keyPath string
	records                    []deploy.Record
	mainCF, transport          []string
}

// block writes lines indented by four spaces, between blank lines: the
// text to copy as it is.
func block(w io.Writer, lines ...string) {
	fmt.Fprintln(w)
	for _, l := range lines {
		fmt.Fprintln(w, "    "+l)
	}
	fmt.Fprintln(w)
}

// printInit prints the files written, the DNS records, the Postfix lines
// and the systemd commands, in French or in English.
func printInit(w io.Writer, r initReport) {
	en := r.lang == "en"
	t := func(fr, eng string, args ...any) {
		if en {
			fr = eng
		}
		fmt.Fprintf(w, fr+"\n", args...)
	}
	d := r.cfg.Domain
	sel := r.cfg.DKIM.Selector
	var dmarc string
	var zone []string
	for _, rec := range r.records {
		zone = append(zone, rec.String())
		if strings.HasPrefix(rec.Name, "_dmarc.") {
			dmarc = rec.Data[0]
		}
	}
	_, rua, _ := strings.Cut(dmarc, "mailto:")

	t("tacit init : trois fichiers écrits.", "tacit init: three files written.")
	t("  %s\n      la configuration, commentée clé par clé (derrière Postfix, données dans %s)",
		"  %s\n      the configuration, commented key by key (behind Postfix, data in %s)", r.cfgPath, r.cfg.DataDir)
	t("  %s\n      l'unité systemd", "  %s\n      the systemd unit", r.unitPath)
	t("  %s\n      la clé DKIM (RSA %d bits), lisible par son seul propriétaire",
		"  %s\n      the DKIM key (RSA %d bits), readable by its owner only", r.keyPath, deploy.DKIMKeyBits)
	fmt.Fprintln(w)

	t("1. DNS : publiez ces enregistrements dans la zone de %s.", "1. DNS: publish these records in the zone of %s.", d)
	t("   Remplacez 192.0.2.1 et 2001:db8::1 par les adresses de ce serveur (sans IPv6, omettez AAAA).",
		"   Replace 192.0.2.1 and 2001:db8::1 with this server's addresses (no IPv6: leave AAAA out).")
	block(w, zone...)
	t("   - MX : le courrier des adresses @%s arrive sur ce serveur, à Postfix.",
		"   - MX: mail for the addresses @%s comes to this server, to Postfix.", d)
	t("   - A et AAAA : l'adresse de ce serveur sous le nom %s ; demandez aussi à l'hébergeur\n     le DNS inverse (PTR) de ces adresses vers ce nom.",
		"   - A and AAAA: this server's address under the name %s; also ask the host for\n     the reverse DNS (PTR) of these addresses to that name.", d)
	t("   - SPF (v=spf1 mx -all) : seul le serveur du MX envoie le courrier de %s ; tout autre échoue.",
		"   - SPF (v=spf1 mx -all): only the MX server sends %s's mail; any other fails.", d)
	t("   - DKIM (%s._domainkey) : la clé publique qui vérifie la signature de tacit. Sa valeur est\n     coupée en chaînes de 255 caractères au plus, comme l'exigent les fichiers de zone ; une\n     interface qui ne prend qu'une chaîne : collez-les bout à bout, sans espace ni guillemets.",
		"   - DKIM (%s._domainkey): the public key that verifies tacit's signature. Its value is cut\n     into strings of at most 255 characters, as zone files require; an interface that takes\n     one string only: paste them end to end, without spaces or quotes.", sel)
	t("   - DMARC (p=none) : d'abord observer. Rien n'est rejeté, et les rapports envoyés à %s\n     montrent si tout le courrier du domaine passe SPF et DKIM. Après quelques semaines de\n     rapports sans échec, passez à p=quarantine : le courrier qui se dit de %s sans l'être\n     ira alors en spam.",
		"   - DMARC (p=none): observe first. Nothing is rejected, and the reports sent to %s show\n     whether all of the domain's mail passes SPF and DKIM. After a few weeks of reports\n     without failure, move to p=quarantine: mail claiming to be from %s without being so\n     then goes to spam.", rua, d)
	fmt.Fprintln(w)

	t("2. Postfix reçoit le courrier d'Internet pour %s et le passe à tacit (%s) ;\n   tacit lui confie ses copies (%s), qu'il achemine.",
		"2. Postfix receives the Internet's mail for %s and hands it to tacit (%s);\n   tacit gives it its copies (%s), which it carries.", d, r.cfg.SMTP.Listen, r.cfg.Delivery.Relay)
	t("   Ajoutez à la fin de /etc/postfix/main.cf :", "   Add at the end of /etc/postfix/main.cf:")
	block(w, r.mainCF...)
	t("   Écrivez dans /etc/postfix/transport :", "   Write into /etc/postfix/transport:")
	block(w, r.transport...)
	t("   Puis :", "   Then:")
	block(w, "postmap /etc/postfix/transport", "postfix reload")
	t("   %s ne doit pas figurer dans mydestination (postconf mydestination) : un domaine est\n   livré ici ou relayé, pas les deux.",
		"   %s must not be in mydestination (postconf mydestination): a domain is delivered here\n   or relayed, not both.", d)
	t("   Pas de relais ouvert : Postfix n'achemine ailleurs que le courrier venu de mynetworks\n   (cette machine, donc tacit) ; d'Internet, il n'accepte que les adresses de %s que tacit\n   reconnaît (reject_unverified_recipient demande à tacit avant d'accepter). tacit n'écoute\n   que sur %s, n'accepte que les adresses de ses listes et ne diffuse qu'à leurs membres ;\n   ses réponses aux expéditeurs sont limitées par adresse et par heure.",
		"   No open relay: Postfix carries elsewhere only the mail from mynetworks (this machine,\n   so tacit); from the Internet it accepts only the addresses of %s that tacit knows\n   (reject_unverified_recipient asks tacit before accepting). tacit listens on %s only,\n   accepts only its lists' addresses and distributes only to their members; its answers\n   to senders are capped per address and per hour.", d, r.cfg.SMTP.Listen)
	fmt.Fprintln(w)

	t("3. systemd : l'utilisateur tacit (le paquet .deb le crée), les droits, le service.",
		"3. systemd: the tacit user (the .deb package creates it), permissions, the service.")
	block(w,
		"adduser --system --group --no-create-home --home /var/lib/tacit tacit",
		"chgrp tacit "+r.cfgPath+" "+filepath.Dir(r.keyPath),
		"chown tacit:tacit "+r.keyPath,
		"cp "+r.unitPath+" /etc/systemd/system/tacit.service",
		"systemctl daemon-reload",
		"systemctl enable --now tacit",
	)
	t("   Ensuite : TLS, première liste et premier essai dans docs/deploy.md.",
		"   Next: TLS, first list and first test in docs/deploy.md.")
}
