"""The search page of a running `loom serve` in a real headless browser (Debian's chromium and
chromium-driver, selenium from the package index).

Usage: python browser.py CONFIG.json
CONFIG: base_url, api_key, browser_query (words one audio segment of the index says), screenshot
(where to keep the picture). Searches the index through the page, sees thumbnails load, checks that
the audio hit's player starts at the segment, follows "More like this", and checks the page fits a
phone-width window. Prints one line per check and exits 1 when any failed.
"""
import json
import sys
import time
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import WebDriverWait

config = json.load(open(sys.argv[1]))
base = config["base_url"]
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required", "--window-size=1200,900"]:
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
# A re-render between finding the hits and reading them leaves stale references: ask again.
wait = WebDriverWait(driver, 60, ignored_exceptions=[StaleElementReferenceException])
failures = []


def check(name, condition, detail=""):
    print(("ok " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)
    if not condition:
        failures.append(name)


try:
    driver.get(base + "/")
    driver.execute_script("localStorage.setItem('loomKey', arguments[0]);", config["api_key"])
    driver.get(base + "/?" + urllib.parse.urlencode({"q": config["browser_query"], "scores": "1"}))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".hit"))
    hits = driver.find_elements(By.CSS_SELECTOR, ".hit")
    check("the query in the URL ran a search", len(hits) >= 2, len(hits))
    check("the query box shows the URL's query", driver.find_element(By.ID, "q").get_attribute("value") == config["browser_query"])

    wait.until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('.hit img')].every(img => img.complete && img.naturalWidth > 0)"))
    thumbnails = driver.execute_script("return [...document.querySelectorAll('.hit img')].map(img => img.naturalWidth)")
    check("image hits show thumbnails", len(thumbnails) >= 1 and all(0 < width <= 256 for width in thumbnails), thumbnails)

    audio = driver.find_elements(By.CSS_SELECTOR, ".hit audio")
    check("the audio hit has a player", len(audio) >= 1)
    if audio:
        player = audio[0]
        driver.execute_script("arguments[0].play();", player)
        wait.until(lambda d: d.execute_script("return arguments[0].readyState >= 1", player))
        time.sleep(0.3)
        start = float(driver.execute_script("return arguments[0].closest('.hit').dataset.start", player))
        current = driver.execute_script("return arguments[0].currentTime", player)
        check("the player starts at the hit's segment", start > 0 and start - 0.1 <= current <= start + 1.5, (start, current))

    scores = driver.find_elements(By.CSS_SELECTOR, ".hit .score")
    check("scores show with the toggle on", scores and scores[0].is_displayed())
    check("a screenshot is kept", driver.save_screenshot(config["screenshot"]), config["screenshot"])

    first = driver.find_elements(By.CSS_SELECTOR, ".hit")[0]
    item = first.get_attribute("data-item")
    first.find_element(By.TAG_NAME, "button").click()
    wait.until(lambda d: "like=" + item in d.current_url)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".hit") and all(
        h.get_attribute("data-item") != item for h in d.find_elements(By.CSS_SELECTOR, ".hit")))
    check("more like this searches by the item, leaving it out", True)

    driver.set_window_size(390, 844)
    time.sleep(0.3)
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check("the page fits a phone-width window", width <= 390, width)
finally:
    driver.quit()

print(f"browser checks: {len(failures)} failed", flush=True)
sys.exit(1 if failures else 0)
