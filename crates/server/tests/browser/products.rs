//! The catalog in a browser: a viewer searches a product (htmx's live search), opens its page and
//! asks why its promotions apply on the web; a marketer imports a CSV file with errors, sees
//! them by line, then imports a correct one and finds the new product. In French and in
//! English, axe on every screen, screenshots.

use std::path::PathBuf;

use remise_store::{Kind, Role};
use remise_test_support::browser::DEFAULT_WAIT;

use crate::journey::{Journey, LANGUAGES};

#[tokio::test]
async fn a_viewer_searches_a_product_and_opens_its_page() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        j.sign_in(Role::Viewer).await;
        j.open("/office/products").await;
        b.wait_for_text(c, "FIG-BATMAN", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("products", "list").await;

        // Typing searches as one types (htmx), without accents or capitals.
        b.fill(c, j.say("Rechercher", "Search"), "MASQUE electro")
            .await
            .unwrap();
        b.wait_for_text(c, "Masque électronique Spider-Man", DEFAULT_WAIT)
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + DEFAULT_WAIT;
        while b.page_text(c).await.unwrap().contains("FIG-BATMAN") {
            assert!(
                std::time::Instant::now() < deadline,
                "the list was not filtered"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        j.check_screen("products", "search").await;

        b.click_link(c, "MASK-SPIDERMAN").await.unwrap();
        b.wait_for_url(c, "/office/products/MASK-SPIDERMAN", DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Prix affiché aujourd'hui", "Catalog price now"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.wait_for_text(c, "Superhéros › Marvel", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("product", "page").await;

        // The explanation on the web: the Marvel launch's promotions are reported with their
        // status (which depends on the day: the text is the status column's, whatever it says).
        b.fill(c, j.say("Canal", "Channel"), "web").await.unwrap();
        b.click_button(c, j.say("Expliquer", "Explain"))
            .await
            .unwrap();
        b.wait_for_url(c, "channel=web", DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say(
                "Promotions qui ciblent ce produit",
                "Promotions that target this product",
            ),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("product", "web").await;
    }
}

/// A CSV file for the browser to upload, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, content: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "remise-{}-{}-{name}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn a_marketer_imports_a_file_with_an_error_then_a_good_one() {
    for (language, lang) in LANGUAGES {
        let Some(j) = Journey::start(language, lang).await else {
            return;
        };
        let (b, c) = (&j.browser, &j.client);
        j.sign_in(Role::Marketer).await;
        j.open("/office/products").await;
        b.click_link(
            c,
            j.say("Importer un fichier catalogue", "Import a catalog file"),
        )
        .await
        .unwrap();
        b.wait_for_url(c, "/office/catalog/import", DEFAULT_WAIT)
            .await
            .unwrap();
        j.check_screen("import", "form").await;

        let bad = TempFile::new(
            "bad.csv",
            "sku,name,price,tax_rate,segments\nTOUPIE-1,Toupie,7.50,0.20,jeux\nTOUPIE-2,Toupie XL,9;90,0.20,jeux\n",
        );
        b.fill(c, j.say("Fichier catalogue", "Catalog file"), bad.path())
            .await
            .unwrap();
        b.click_button(c, j.say("Vérifier le fichier", "Check the file"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Erreurs par ligne", "Errors by line"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        b.wait_for_text(c, j.say("ligne 3", "line 3"), DEFAULT_WAIT)
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("n'est pas un nombre décimal", "is not a decimal number"),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("import", "errors").await;
        assert!(
            j.app
                .store
                .get(Kind::Product, "TOUPIE-1")
                .await
                .unwrap()
                .is_none()
        );

        b.click_link(c, j.say("Importer un autre fichier", "Import another file"))
            .await
            .unwrap();
        let good = TempFile::new(
            "good.csv",
            "sku,name,price,tax_rate,segments\nTOUPIE-1,Toupie,7.50,0.20,jeux\nTOUPIE-2,Toupie XL,9.90,0.20,jeux\n",
        );
        b.fill(c, j.say("Fichier catalogue", "Catalog file"), good.path())
            .await
            .unwrap();
        b.click_button(c, j.say("Vérifier le fichier", "Check the file"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Le fichier est correct.", "The file is correct."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("import", "checked").await;
        b.click_button(c, j.say("Appliquer l'import", "Apply the import"))
            .await
            .unwrap();
        b.wait_for_text(
            c,
            j.say("Le catalogue a été importé.", "The catalog was imported."),
            DEFAULT_WAIT,
        )
        .await
        .unwrap();
        j.check_screen("import", "applied").await;
        assert!(
            j.app
                .store
                .get(Kind::Product, "TOUPIE-2")
                .await
                .unwrap()
                .is_some()
        );

        b.click_link(c, j.say("Voir les produits", "See the products"))
            .await
            .unwrap();
        b.fill(c, j.say("Rechercher", "Search"), "toupie")
            .await
            .unwrap();
        b.wait_for_text(c, "Toupie XL", DEFAULT_WAIT).await.unwrap();
    }
}
