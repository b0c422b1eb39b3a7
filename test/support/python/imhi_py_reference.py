#!/usr/bin/python3
"""Reference numbers of IMHI.py's calculate_f1 for test/evaluation/imhipy.test.ts.

Runs the released function itself (imhi_py_calculate_f1.py, copied verbatim from MentalLLaMA's
src/IMHI.py) with scikit-learn on

  * the hand-written cases below (every dataset's rules, their quirks and their failures), and
  * the released example outputs (examples/response_generation_examples/*.csv) as released and
    under the perturbations of PERTURBATIONS (the TypeScript test applies the same ones),

and records what the script prints (its result line) or the exception it stops with.

  /usr/bin/python3 test/support/python/imhi_py_reference.py ../shared/imhi > test/evaluation/fixtures/imhi-py-reference.json
  /usr/bin/python3 test/support/python/imhi_py_reference.py --stdin < cases.json   # live: [{"dataset", "goldens", "outputs"}]

Needs pandas and scikit-learn (Debian: python3-sklearn, python3-pandas).
"""
import contextlib
import io
import json
import os
import sys
import tempfile

import sklearn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imhi_py_calculate_f1 import calculate_f1  # noqa: E402


def run(dataset, goldens, outputs):
    """calculate_f1 on one dataset: the printed result line, or the exception."""
    with tempfile.TemporaryDirectory() as tmp:
        # calculate_f1 appends to ../model_output/OUTPUT_PATH/results.txt, relative to the cwd.
        os.makedirs(os.path.join(tmp, 'model_output', 'ref'))
        os.makedirs(os.path.join(tmp, 'cwd'))
        old = os.getcwd()
        os.chdir(os.path.join(tmp, 'cwd'))
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                calculate_f1({dataset: list(outputs)}, {dataset: list(goldens)}, 'ref')
            return {'line': out.getvalue().split('\n')[0], 'error': None}
        except Exception as e:  # the script's own failure is the reference
            return {'line': None, 'error': '{}: {}'.format(type(e).__name__, e)}
        finally:
            os.chdir(old)


def perturb(name, goldens, outputs):
    g, o = list(goldens), list(outputs)
    if name == 'released':
        pass
    elif name == 'reasoning_renamed':
        o = [x.replace('Reasoning:', 'Explanation:') if i % 3 == 0 else x for i, x in enumerate(o)]
    elif name == 'empty_responses':
        o = ['' if i % 4 == 1 else x for i, x in enumerate(o)]
    elif name == 'yes_to_no':
        o = [x.replace('Yes', 'No') if i % 2 == 0 else x for i, x in enumerate(o)]
    elif name == 'unclear_label':
        o = ['Unclear. Reasoning: ' + x if i % 5 == 2 else x for i, x in enumerate(o)]
    elif name == 'golden_unlabelled':
        g = ['Unclear. Reasoning: ' + x if i == 3 else x for i, x in enumerate(g)]
    elif name == 'fewer_outputs':
        o = o[:-2]
    else:
        raise ValueError(name)
    return g, o


PERTURBATIONS = ['released', 'reasoning_renamed', 'empty_responses', 'yes_to_no', 'unclear_label', 'golden_unlabelled', 'fewer_outputs']

# Hand-written cases: (name, dataset, goldens, outputs).
R = ' Reasoning: the post says so.'
CASES = [
    ('DR: clean yes/no', 'DR',
     ['Yes, the poster suffers from depression.' + R, 'No, the poster does not.' + R, 'Yes.' + R, 'No.' + R],
     ['Yes, the poster suffers from depression.' + R, 'Yes, it does.' + R, 'No.' + R, 'No.' + R]),
    ('DR: substring quirks (know, eyes, cannot) and OOD', 'DR',
     ['Yes.' + R, 'Yes.' + R, 'No.' + R, 'Yes.' + R, 'No.' + R, 'No.' + R],
     ['I know it.' + R, 'Her eyes are sad.' + R, 'Maybe.' + R, 'Reasoning: yes', '', 'I cannot say.' + R]),
    ('DR: lower-case reasoning is not cut', 'DR',
     ['Yes.' + R, 'No.' + R, 'No.' + R],
     ['The poster is depressed. reasoning: no doubt', 'The poster is fine. REASONING: no', 'Unsure']),
    ('DR: a golden without a label (lengths differ)', 'DR',
     ['Yes.' + R, 'Maybe.' + R, 'No.' + R],
     ['Yes.' + R, 'No.' + R, 'No.' + R]),
    ('DR: all OOD, one class only', 'DR',
     ['No.' + R, 'No.' + R],
     ['Hmm.', 'Hmm.']),
    ('dreaddit: stress', 'dreaddit',
     ['Yes, the poster is stressed.' + R, 'No, not stressed.' + R, 'No.' + R, 'Yes.' + R, 'Yes.' + R],
     ['No.' + R, 'No.' + R, 'Yes.' + R, 'Yes.' + R, 'The poster is under stress.' + R]),
    ('loneliness', 'loneliness',
     ['Yes.' + R, 'No.' + R, 'Yes.' + R],
     ['yes' + R, 'nothing' + R, 'Lonely.' + R]),
    ('Irf', 'Irf',
     ['Yes.' + R, 'No.' + R, 'No.' + R, 'Yes.' + R],
     ['Yes.' + R, 'Yes.' + R, 'No.' + R, 'Reasoning: No.']),
    ('MultiWD', 'MultiWD',
     ['Yes.' + R, 'No.' + R, 'No.' + R, 'Yes.' + R, 'No.' + R, 'Yes.' + R, 'No.' + R],
     ['Yes.' + R, 'No.' + R, 'Yes.' + R, 'Yes.' + R, 'Not at all.' + R, '', 'No.' + R]),
    ('SAD: every class, homework, OOD to other', 'SAD',
     ['This post shows the stress cause related to school.' + R,
      'This post shows the stress cause related to financial problem.' + R,
      'This post shows the stress cause related to family issues.' + R,
      'This post shows the stress cause related to social relationships.' + R,
      'This post shows the stress cause related to work.' + R,
      'This post shows the stress cause related to health issues.' + R,
      'This post shows the stress cause related to emotional turmoil.' + R,
      'This post shows the stress cause related to everyday decision making.' + R,
      'This post shows the stress cause related to other causes.' + R,
      'This post shows the stress cause related to school.' + R],
     ['Stress from homework.' + R, 'Financial worries.' + R, 'Family.' + R, 'Social life and work.' + R,
      'Work.' + R, 'Health.' + R, 'Emotional.' + R, 'A decision.' + R, 'I cannot tell.' + R, 'School.' + R]),
    ('SAD: the released phrases "emotion turmoil" and "other stress causes" name nothing', 'SAD',
     ['This post shows the stress cause related to emotion turmoil.' + R, 'This post shows the stress cause related to work.' + R],
     ['Emotional.' + R, 'Work.' + R]),
    ('CAMS: every class; the released "no causes" names nothing', 'CAMS',
     ['This post shows none.' + R, 'This post shows the cause bias or abuse.' + R, 'This post shows jobs and career.' + R,
      'This post shows medication.' + R, 'This post shows relationship.' + R, 'This post shows alienation.' + R],
     ['None.' + R, 'Bias.' + R, 'My job.' + R, 'Medication.' + R, 'A relationship.' + R, 'Unclear.' + R]),
    ('CAMS: "no causes of depression" in the golden', 'CAMS',
     ['This post shows no causes of depression.' + R, 'This post shows alienation.' + R],
     ['None.' + R, 'Alienation.' + R]),
    ('t-sid: classes and order (depression before suicide)', 't-sid',
     ['This post shows depression.' + R, 'This post shows suicide or self-harm.' + R, 'This post shows ptsd.' + R,
      'This post shows no mental disorders.' + R, 'This post shows depression.' + R],
     ['Suicide and depression.' + R, 'Suicide.' + R, 'PTSD.' + R, 'No mental disorders.' + R, 'Hmm.' + R]),
    ('t-sid: "suicide" alone in a golden names nothing', 't-sid',
     ['This post shows suicide.' + R, 'This post shows ptsd.' + R],
     ['Suicide.' + R, 'PTSD.' + R]),
    ('swmh: an unlabelled golden drops the response too', 'swmh',
     ['This post shows no mental disorder symptoms.' + R, 'This post shows suicide.' + R, 'Unclear.' + R,
      'This post shows anxiety.' + R, 'This post shows bipolar disorder.' + R, 'This post shows depression.' + R],
     ['No mental disorder.' + R, 'Hmm.' + R, 'Anxiety.' + R, 'Anxiety.' + R, 'Bipolar.' + R, 'Depression and anxiety.' + R]),
    ('swmh: every golden unlabelled (empty lists, nan)', 'swmh',
     ['Unclear.' + R, 'Unclear.' + R],
     ['Anxiety.' + R, 'Hmm.' + R]),
    ('empty output list', 'DR', [], []),
]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == '--stdin':
        cases = json.load(sys.stdin)
        json.dump([run(c['dataset'], c['goldens'], c['outputs']) for c in cases], sys.stdout)
        return
    import pandas as pd
    doc = {
        'generated_by': 'test/support/python/imhi_py_reference.py',
        'sklearn': sklearn.__version__,
        'cases': [dict(name=n, dataset=d, goldens=g, outputs=o, **run(d, g, o)) for n, d, g, o in CASES],
        'examples': [],
    }
    if len(sys.argv) > 1:
        folder = os.path.join(sys.argv[1], 'examples', 'response_generation_examples')
        for fn in sorted(os.listdir(folder)):
            if not fn.endswith('.csv'):
                continue
            dataset = fn[:-4]
            # Read as strings (keep_default_na=False): the texts IMHI.py would hold in memory.
            data = pd.read_csv(os.path.join(folder, fn), keep_default_na=False)
            goldens, outputs = data['goldens'].to_list(), data['generated_text'].to_list()
            for p in PERTURBATIONS:
                g, o = perturb(p, goldens, outputs)
                doc['examples'].append(dict(file=fn, dataset=dataset, perturbation=p, rows=len(o), **run(dataset, g, o)))
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
